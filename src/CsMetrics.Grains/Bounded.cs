namespace CsMetrics.Grains;

/// <summary>
/// Runs an async action over items with at most N in flight, continuing on the caller's context
/// (inside a grain: its own scheduler), unlike Parallel.ForEachAsync, which moves to the thread pool.
/// </summary>
internal static class Bounded
{
    /// <summary>
    /// N workers take the next item in turn; after the first failure no item starts and the
    /// failure is rethrown once the running ones ended. Nothing is allocated per item (a
    /// <c>Task.WhenAny</c> over the running tasks copied them into a new array at every
    /// completion: ~2 % of the engine's allocated bytes, from the checkpoint's account writes).
    /// </summary>
    public static async Task ForEachAsync<T>(IEnumerable<T> items, int parallelism, Func<T, Task> action)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        using var source = items.GetEnumerator();
        var gate = new Lock();
        bool failed = false;

        async Task WorkAsync()
        {
            while (true)
            {
                T item;
                lock (gate)
                {
                    if (failed || !source.MoveNext())
                    {
                        return;
                    }
                    item = source.Current;
                }
                try
                {
                    await action(item);
                }
                catch
                {
                    lock (gate)
                    {
                        failed = true;
                    }
                    throw;
                }
            }
        }

        var workers = new Task[parallelism];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = WorkAsync();
        }
        await Task.WhenAll(workers);
    }
}
