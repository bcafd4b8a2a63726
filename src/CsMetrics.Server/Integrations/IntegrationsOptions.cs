namespace CsMetrics.Server.Integrations;

/// <summary>Settings of the integrations (docs/integrations.md), section "CsMetrics:Integrations".</summary>
public sealed class IntegrationsOptions
{
    public const string Section = "CsMetrics:Integrations";

    /// <summary>
    /// The Zendesk webhook's signing secret (CSMETRICS_ZENDESK_SECRET). Without it the Zendesk
    /// endpoint answers 503: it cannot verify anything, so it accepts nothing.
    /// </summary>
    public string? ZendeskSecret { get; set; }

    /// <summary>How old (or how far in the future) a Zendesk signature timestamp may be.</summary>
    public TimeSpan ZendeskMaxSignatureAge { get; set; } = TimeSpan.FromMinutes(5);
}
