using CsMetrics.Contracts.Voc;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Scoring.Voc;

namespace CsMetrics.Grains.Voc;

[GenerateSerializer, Alias("csm.VocCommentStoreState")]
public sealed class VocCommentStoreState
{
    [Id(0)] public List<VocComment> Comments { get; set; } = [];
    /// <summary>Comments refused because the month was full.</summary>
    [Id(1)] public long Refused { get; set; }
}

/// <summary>
/// One month of NPS comments, as signals arrive. Bounded: at most <see cref="MaxComments"/> a month
/// (more are counted as refused, not kept). Themes are applied at query time, so a change of
/// keywords re-groups every kept comment. Written by the checkpointer and on deactivation.
/// </summary>
public sealed class VocCommentStoreGrain(
    [PersistentState("voc-comments", StorageNames.Index)] IPersistentState<VocCommentStoreState> state,
    DirtyCommentMonths dirty)
    : Grain, IVocCommentStore
{
    public const int MaxComments = 50_000;

    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private bool _dirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var c in state.State.Comments)
        {
            _ids.Add(c.SignalId);
        }
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Checkpoint();

    public Task Add(VocComment comment)
    {
        if (_ids.Contains(comment.SignalId))
        {
            return Task.CompletedTask; // replayed after a restart: already kept
        }
        if (state.State.Comments.Count >= MaxComments)
        {
            state.State.Refused++;
        }
        else
        {
            _ids.Add(comment.SignalId);
            state.State.Comments.Add(comment);
        }
        _dirty = true;
        dirty.Mark(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public Task<VocCounts> Count(VocThemeDefinition[] themes, VocFilter filter)
    {
        var matcher = Matcher(themes);
        var counts = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var t in themes)
        {
            counts[t.Name] = new int[3];
        }
        counts[ThemeMatcher.Other] = new int[3];
        int comments = 0;
        foreach (var c in Filtered(filter))
        {
            comments++;
            int slot = Array.IndexOf(NpsCategory.All, c.Category);
            foreach (var theme in matcher.Match(c.Text))
            {
                counts[theme][slot]++;
            }
        }
        var result = counts.Select(kv => new VocThemeCounts(kv.Key, kv.Value[0], kv.Value[1], kv.Value[2])).ToArray();
        return Task.FromResult(new VocCounts(comments, result));
    }

    public Task<VocCommentPage> Comments(VocThemeDefinition[] themes, string theme, VocFilter filter, int take)
    {
        var matcher = Matcher(themes);
        var matching = Filtered(filter).Where(c => matcher.IsIn(c.Text, theme)).ToList();
        var newest = matching.OrderByDescending(c => c.At).ThenBy(c => c.SignalId, StringComparer.Ordinal).Take(take).ToArray();
        return Task.FromResult(new VocCommentPage(matching.Count, newest));
    }

    private IEnumerable<VocComment> Filtered(VocFilter f) => state.State.Comments.Where(c =>
        c.At >= f.From && c.At < f.To
        && (f.Segment is null || c.Segment == f.Segment)
        && (f.Owner is null || c.Owner == f.Owner)
        && (f.Category is null || c.Category == f.Category));

    private static ThemeMatcher Matcher(VocThemeDefinition[] themes) =>
        new(themes.Select(t => new VocTheme(t.Name, t.Keywords)).ToArray());

    public async Task Checkpoint()
    {
        if (!_dirty)
        {
            return;
        }
        await state.WriteStateAsync();
        _dirty = false;
    }
}
