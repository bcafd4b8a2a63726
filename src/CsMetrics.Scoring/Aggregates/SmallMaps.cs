using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// Growth for the per-account maps and sets. There is one of each per account (a million
/// accounts resident), and most stay small: growing by a third (then up to the next prime of the
/// runtime's table, so about 1.4x) instead of doubling keeps the slack of a just-grown map near
/// a third instead of a half. Only capacity changes; contents and enumeration order (insertion
/// order) are the same as with the default growth.
/// </summary>
internal static class SmallMaps
{
    /// <summary>The next capacity of a full per-account table: about a third more.</summary>
    public static int Grown(int capacity) => capacity + capacity / 3 + 1;

    /// <summary>Call before adding a key that is not in <paramref name="map"/>.</summary>
    public static void BeforeAdd<TKey, TValue>(Dictionary<TKey, TValue> map) where TKey : notnull
    {
        int capacity = map.Capacity;
        if (map.Count == capacity && capacity > 0)
        {
            map.EnsureCapacity(Grown(capacity));
        }
    }

    /// <summary>Call before adding an item that is not in <paramref name="set"/>.</summary>
    public static void BeforeAdd<T>(HashSet<T> set)
    {
        int capacity = set.Capacity;
        if (set.Count == capacity && capacity > 0)
        {
            set.EnsureCapacity(Grown(capacity));
        }
    }

    /// <summary>The value of <paramref name="key"/>, added as default if missing (growing by about 1.4x).</summary>
    public static ref TValue RefOrAdd<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key) where TKey : notnull where TValue : struct
    {
        ref TValue value = ref CollectionsMarshal.GetValueRefOrNullRef(map, key);
        if (!Unsafe.IsNullRef(ref value))
        {
            return ref value;
        }
        BeforeAdd(map);
        return ref CollectionsMarshal.GetValueRefOrAddDefault(map, key, out _);
    }
}
