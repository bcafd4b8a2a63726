using CsMetrics.Contracts.Voc;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Voc;

[GenerateSerializer, Alias("csm.VocThemesState")]
public sealed class VocThemesState
{
    [Id(0)] public VocThemeSet? Themes { get; set; }
}

/// <summary>The configured VoC themes; the defaults until an admin sets them. Validation is the API's (docs/voc.md).</summary>
public sealed class VocThemesGrain(
    [PersistentState("voc-themes", StorageNames.Index)] IPersistentState<VocThemesState> state)
    : Grain, IVocThemes
{
    public static readonly VocThemeDefinition[] Defaults =
    [
        new("price", ["price", "prices", "pricing", "expensive", "cost", "costs", "costly", "cheaper", "invoice", "billing", "budget"]),
        new("bugs", ["bug", "bugs", "buggy", "broken", "crash", "crashes", "error", "errors", "glitch", "glitches", "fails", "doesn't work"]),
        new("support", ["support", "helpdesk", "agent", "agents", "ticket", "tickets", "response time", "customer service", "answer", "answers"]),
        new("onboarding", ["onboarding", "setup", "set up", "getting started", "training", "documentation", "docs", "tutorial", "learning curve"]),
        new("performance", ["slow", "slowness", "fast", "speed", "performance", "lag", "laggy", "latency", "timeout", "timeouts", "loading"]),
    ];

    public Task<VocThemeSet> Get() => Task.FromResult(state.State.Themes ?? new VocThemeSet(0, Defaults));

    public async Task<VocThemeSet> Set(VocThemeDefinition[] themes)
    {
        int version = (state.State.Themes?.Version ?? 0) + 1;
        state.State.Themes = new VocThemeSet(version, themes);
        await state.WriteStateAsync();
        return state.State.Themes;
    }
}
