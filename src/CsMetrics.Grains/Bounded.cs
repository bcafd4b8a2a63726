namespace CsMetrics.Grains;

/// <summary>
/// Runs an async action over items with at most N in flight, continuing on the caller's context
/// (inside a grain: its own scheduler), unlike Parallel.ForEachAsync, which moves to the thread pool.
/// </summary>
internal static class Bounded
{
    public static async Task ForEachAsync<T>(IEnumerable<T> items, int parallelism, Func<T, Task> action)
    {
        var running = new List<Task>(parallelism);
        foreach (var item in items)
        {
            running.Add(action(item));
            if (running.Count >= parallelism)
            {
                var done = await Task.WhenAny(running);
                running.Remove(done);
                await done;
            }
        }
        await Task.WhenAll(running);
    }
}
