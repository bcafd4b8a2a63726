namespace CsMetrics.Scoring.Voc;

/// <summary>A voice-of-the-customer theme: a name and the keywords (words or short phrases) that put a comment in it.</summary>
public sealed record VocTheme(string Name, string[] Keywords);

/// <summary>
/// Puts comments into themes. A keyword matches case-insensitively as whole words: the comment and
/// the keyword are split into words (runs of letters, digits and apostrophes), and the keyword's
/// words must appear consecutively in the comment's. So "bug" matches "A bug!" and "BUG" but not
/// "debugging" or "bugs" (list "bugs" too), and "slow load" matches "so slow, load takes ages"
/// but not "slow to load". A comment may fall into several themes; one in none is <see cref="Other"/>.
/// </summary>
public sealed class ThemeMatcher
{
    public const string Other = "other";

    /// <summary>Per theme: its one-word keywords as a set (one lookup per comment word) and its phrases.</summary>
    private readonly (string Name, HashSet<string> Words, string[][] Phrases)[] _themes;

    public ThemeMatcher(IReadOnlyList<VocTheme> themes)
    {
        _themes = new (string, HashSet<string>, string[][])[themes.Count];
        for (int i = 0; i < themes.Count; i++)
        {
            var keywords = themes[i].Keywords.Select(k => Words(k).ToArray()).Where(w => w.Length > 0).ToArray();
            _themes[i] = (
                themes[i].Name,
                keywords.Where(k => k.Length == 1).Select(k => k[0]).ToHashSet(StringComparer.Ordinal),
                keywords.Where(k => k.Length > 1).ToArray());
        }
    }

    /// <summary>The names of the themes the comment belongs to, in configured order; [<see cref="Other"/>] when none.</summary>
    public IReadOnlyList<string> Match(string comment)
    {
        var matched = MatchIndexes(comment).Select(i => _themes[i].Name).ToList();
        return matched.Count > 0 ? matched : [Other];
    }

    /// <summary>The positions (in configured order) of the themes the comment belongs to; empty when none.</summary>
    public IEnumerable<int> MatchIndexes(string comment)
    {
        var words = Words(comment).ToArray();
        for (int i = 0; i < _themes.Length; i++)
        {
            var (_, single, phrases) = _themes[i];
            if (words.Any(single.Contains) || phrases.Any(p => ContainsRun(words, p)))
            {
                yield return i;
            }
        }
    }

    /// <summary>Whether the comment is in <paramref name="theme"/> (<see cref="Other"/>: in no configured theme).</summary>
    public bool IsIn(string comment, string theme)
    {
        var themes = Match(comment);
        foreach (var t in themes)
        {
            if (t == theme)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Lower-cased words: maximal runs of letters, digits and apostrophes.</summary>
    public static IEnumerable<string> Words(string text)
    {
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'' || text[i] == '’');
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                yield return text[start..i].ToLowerInvariant();
                start = -1;
            }
        }
    }

    private static bool ContainsRun(string[] words, string[] run)
    {
        for (int i = 0; i + run.Length <= words.Length; i++)
        {
            int j = 0;
            while (j < run.Length && words[i + j] == run[j])
            {
                j++;
            }
            if (j == run.Length)
            {
                return true;
            }
        }
        return false;
    }
}
