using Orleans.Runtime;

namespace CsMetrics.Grains;

/// <summary>
/// Grain references for the hot paths. <c>GetGrain&lt;T&gt;(key)</c> resolves the interface's
/// grain type by reading its custom attributes on every call: in the in-process engine profile
/// that was ~6% of all CPU (one account reference per account per batch, plus the checkpointer's
/// and the shards'). Here the (grain type, interface type) pair is resolved once per interface
/// and every reference is built straight from a <see cref="GrainId"/>. The pair depends only on
/// the loaded assemblies, so it is shared by every silo of a process (test clusters included);
/// the reference itself is still made by the caller's own factory.
/// </summary>
public static class GrainReferences
{
    public static T Get<T>(this IGrainFactory grains, string key) where T : IGrainWithStringKey
    {
        var (type, iface) = StringKeyed<T>.Resolve(grains);
        return (T)grains.GetGrain(GrainId.Create(type, key), iface);
    }

    public static T Get<T>(this IGrainFactory grains, long key) where T : IGrainWithIntegerKey
    {
        var (type, iface) = IntegerKeyed<T>.Resolve(grains);
        return (T)grains.GetGrain(GrainId.Create(type, GrainIdKeyExtensions.CreateIntegerKey(key)), iface);
    }

    private static class StringKeyed<T> where T : IGrainWithStringKey
    {
        private static (GrainType, GrainInterfaceType)? _types;

        public static (GrainType, GrainInterfaceType) Resolve(IGrainFactory grains) =>
            _types ??= TypesOf((GrainReference)(object)grains.GetGrain<T>("-"));
    }

    private static class IntegerKeyed<T> where T : IGrainWithIntegerKey
    {
        private static (GrainType, GrainInterfaceType)? _types;

        public static (GrainType, GrainInterfaceType) Resolve(IGrainFactory grains) =>
            _types ??= TypesOf((GrainReference)(object)grains.GetGrain<T>(0));
    }

    private static (GrainType, GrainInterfaceType) TypesOf(GrainReference template) => (template.GrainId.Type, template.InterfaceType);
}
