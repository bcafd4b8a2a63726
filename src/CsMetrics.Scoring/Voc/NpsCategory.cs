namespace CsMetrics.Scoring.Voc;

/// <summary>An NPS answer's category: detractor 0–6, passive 7–8, promoter 9–10.</summary>
public static class NpsCategory
{
    public const string Detractor = "detractor";
    public const string Passive = "passive";
    public const string Promoter = "promoter";

    public static readonly string[] All = [Detractor, Passive, Promoter];

    public static string Of(int score) => score >= 9 ? Promoter : score >= 7 ? Passive : Detractor;
}
