namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// The persisted form of the small maps in account state (count, then key/value pairs), shared
/// by the aggregates and the metrics history so both read and write them the same way.
/// </summary>
internal static class BinaryMaps
{
    /// <summary>Writes the map (a missing map as an empty one).</summary>
    public static void Write(BinaryWriter w, Dictionary<string, int>? map)
    {
        w.Write(map?.Count ?? 0);
        if (map is null)
        {
            return;
        }
        foreach (var (k, v) in map)
        {
            w.Write(k);
            w.Write(v);
        }
    }

    /// <summary>Reads the map; keys through <paramref name="pool"/> when given (words many accounts share).</summary>
    public static void Read(BinaryReader r, Dictionary<string, int> map, Signals.StringPool? pool = null) => Fill(r, map, r.ReadInt32(), pool);

    private static void Fill(BinaryReader r, Dictionary<string, int> map, int n, Signals.StringPool? pool)
    {
        map.EnsureCapacity(n);
        for (int i = 0; i < n; i++)
        {
            string key = r.ReadString();
            map[pool is null ? key : pool.Of(key)] = r.ReadInt32();
        }
    }

    /// <summary>Writes the map (a missing map as an empty one).</summary>
    public static void Write(BinaryWriter w, Dictionary<int, int>? map)
    {
        w.Write(map?.Count ?? 0);
        if (map is null)
        {
            return;
        }
        foreach (var (k, v) in map)
        {
            w.Write(k);
            w.Write(v);
        }
    }

    public static void Read(BinaryReader r, Dictionary<int, int> map) => Fill(r, map, r.ReadInt32());

    private static void Fill(BinaryReader r, Dictionary<int, int> map, int n)
    {
        map.EnsureCapacity(n);
        for (int i = 0; i < n; i++)
        {
            map[r.ReadInt32()] = r.ReadInt32();
        }
    }

    /// <summary>Reads a map written by <see cref="Write(BinaryWriter, Dictionary{string, int})"/>; null when empty.</summary>
    public static Dictionary<string, int>? ReadStringMapOrNull(BinaryReader r, Signals.StringPool? pool = null)
    {
        int n = r.ReadInt32();
        if (n == 0)
        {
            return null;
        }
        var map = new Dictionary<string, int>(n, StringComparer.Ordinal);
        Fill(r, map, n, pool);
        return map;
    }

    /// <summary>Reads a map written by <see cref="Write(BinaryWriter, Dictionary{int, int})"/>; null when empty.</summary>
    public static Dictionary<int, int>? ReadIntMapOrNull(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n == 0)
        {
            return null;
        }
        var map = new Dictionary<int, int>(n);
        Fill(r, map, n);
        return map;
    }
}
