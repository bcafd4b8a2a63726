namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>What every scenario shares: the size switch, the generated input and the results.</summary>
public sealed class BenchContext(bool quick, BenchmarkResults results, DateTimeOffset now)
{
    public const int Seed = 20261126;

    public bool Quick { get; } = quick;

    public BenchmarkResults Results { get; } = results;

    /// <summary>The account universe: 100k accounts (20k in a quick run), Zipf-distributed.</summary>
    public SignalWorkload Workload { get; } = new(quick ? 20_000 : 100_000, Seed, now);

    /// <summary>Full-size value, or the quick one.</summary>
    public T Size<T>(T full, T quick) => Quick ? quick : full;

    /// <summary>A fresh temp directory, deleted with the returned handle.</summary>
    public static TempDirectory NewTempDirectory(string name) => new(name);
}

public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string name)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"csm-bench-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a process being torn down: the OS temp cleaner gets it.
        }
    }
}
