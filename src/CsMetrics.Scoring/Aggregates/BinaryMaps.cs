namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// The persisted form of the small maps in account state (count, then key/value pairs), shared
/// by the aggregates and the metrics history so both read and write them the same way.
/// </summary>
internal static class BinaryMaps
{
    public static void Write(BinaryWriter w, Dictionary<string, int> map)
    {
        w.Write(map.Count);
        foreach (var (k, v) in map)
        {
            w.Write(k);
            w.Write(v);
        }
    }

    public static void Read(BinaryReader r, Dictionary<string, int> map)
    {
        int n = r.ReadInt32();
        map.EnsureCapacity(n);
        for (int i = 0; i < n; i++)
        {
            map[r.ReadString()] = r.ReadInt32();
        }
    }

    public static void Write(BinaryWriter w, Dictionary<int, int> map)
    {
        w.Write(map.Count);
        foreach (var (k, v) in map)
        {
            w.Write(k);
            w.Write(v);
        }
    }

    public static void Read(BinaryReader r, Dictionary<int, int> map)
    {
        int n = r.ReadInt32();
        map.EnsureCapacity(n);
        for (int i = 0; i < n; i++)
        {
            map[r.ReadInt32()] = r.ReadInt32();
        }
    }
}
