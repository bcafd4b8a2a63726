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
/// keywords re-groups every kept comment; each comment's themes are matched once per themes
/// version and kept in memory as a bit mask (bit i = theme i, the top bit = "other").
/// Written by the checkpointer and on deactivation.
/// </summary>
public sealed class VocCommentStoreGrain(
    [PersistentState("voc-comments", StorageNames.Index)] IPersistentState<VocCommentStoreState> state,
    DirtyCommentMonths dirty)
    : Grain, IVocCommentStore
{
    public const int MaxComments = 50_000;
    private const ulong OtherBit = 1UL << 63;

    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly List<ulong> _masks = [];
    private VocThemeSet? _maskedFor;
    private ThemeMatcher? _matcher;
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
            if (_matcher is not null)
            {
                _masks.Add(Mask(_matcher, comment.Text));
            }
        }
        _dirty = true;
        dirty.Mark(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public Task<VocCounts> Count(VocThemeSet themes, VocFilter filter)
    {
        EnsureMasks(themes);
        var names = themes.Themes.Select(t => t.Name).Append(ThemeMatcher.Other).ToArray();
        var counts = new int[names.Length, 3];
        int comments = 0;
        var all = state.State.Comments;
        for (int i = 0; i < all.Count; i++)
        {
            if (!Passes(all[i], filter))
            {
                continue;
            }
            comments++;
            int slot = Array.IndexOf(NpsCategory.All, all[i].Category);
            ulong mask = _masks[i];
            for (int t = 0; t < names.Length; t++)
            {
                if ((mask & Bit(t, names.Length)) != 0)
                {
                    counts[t, slot]++;
                }
            }
        }
        var result = new VocThemeCounts[names.Length];
        for (int t = 0; t < names.Length; t++)
        {
            result[t] = new VocThemeCounts(names[t], counts[t, 0], counts[t, 1], counts[t, 2]);
        }
        return Task.FromResult(new VocCounts(comments, result));
    }

    public Task<VocCommentPage> Comments(VocThemeSet themes, string theme, VocFilter filter, int take)
    {
        EnsureMasks(themes);
        int index = theme == ThemeMatcher.Other ? themes.Themes.Length : Array.FindIndex(themes.Themes, t => t.Name == theme);
        var matching = new List<VocComment>();
        if (index >= 0)
        {
            ulong bit = Bit(index, themes.Themes.Length + 1);
            var all = state.State.Comments;
            for (int i = 0; i < all.Count; i++)
            {
                if ((_masks[i] & bit) != 0 && Passes(all[i], filter))
                {
                    matching.Add(all[i]);
                }
            }
        }
        var newest = matching.OrderByDescending(c => c.At).ThenBy(c => c.SignalId, StringComparer.Ordinal).Take(take).ToArray();
        return Task.FromResult(new VocCommentPage(matching.Count, newest));
    }

    /// <summary>Re-matches every kept comment when the themes changed (or on the first query after activation).</summary>
    private void EnsureMasks(VocThemeSet themes)
    {
        if (_maskedFor is { } held && held.Version == themes.Version && _masks.Count == state.State.Comments.Count)
        {
            return;
        }
        _matcher = new ThemeMatcher(themes.Themes.Select(t => new VocTheme(t.Name, t.Keywords)).ToArray());
        _masks.Clear();
        foreach (var c in state.State.Comments)
        {
            _masks.Add(Mask(_matcher, c.Text));
        }
        _maskedFor = themes;
    }

    private static ulong Mask(ThemeMatcher matcher, string text)
    {
        ulong mask = 0;
        foreach (int t in matcher.MatchIndexes(text))
        {
            mask |= 1UL << t;
        }
        return mask == 0 ? OtherBit : mask;
    }

    /// <summary>The bit of column <paramref name="t"/> of <paramref name="columns"/> (the last column is "other").</summary>
    private static ulong Bit(int t, int columns) => t == columns - 1 ? OtherBit : 1UL << t;

    private static bool Passes(VocComment c, VocFilter f) =>
        c.At >= f.From && c.At < f.To
        && (f.Segment is null || c.Segment == f.Segment)
        && (f.Owner is null || c.Owner == f.Owner)
        && (f.Category is null || c.Category == f.Category);

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
