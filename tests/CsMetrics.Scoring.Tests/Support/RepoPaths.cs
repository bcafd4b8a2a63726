namespace CsMetrics.Scoring.Tests.Support;

internal static class RepoPaths
{
    /// <summary>The repository root: the first directory above the test assembly that holds CsMetrics.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string DefaultScorecard => Path.Combine(Root, "config", "scorecard.default.json");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CsMetrics.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("CsMetrics.sln not found above " + AppContext.BaseDirectory);
    }
}
