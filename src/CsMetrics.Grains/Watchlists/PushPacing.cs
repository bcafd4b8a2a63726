namespace CsMetrics.Grains.Watchlists;

/// <summary>
/// When a watchlist pushes. A change after a quiet spell goes out at once; changes within a
/// window of the last push are gathered into one push at the window's end. The window is short
/// (most of the freshness budget is the hops, not the wait) and widens for a busy list: each
/// push costs a diff of the visible rows and a message to every subscriber, so a list changing
/// thousands of times a second is pushed less often, in bigger deltas, while a list changing now
/// and then is pushed almost at once.
/// </summary>
public static class PushPacing
{
    /// <summary>The window after a push of a few changes.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(5);

    /// <summary>The window after a push of <see cref="BusyPushChanges"/> or more changes.</summary>
    public static readonly TimeSpan BusyWindow = TimeSpan.FromMilliseconds(15);

    public const int BusyPushChanges = 8;

    /// <summary>The window that starts with a push of <paramref name="changes"/> changes.</summary>
    public static TimeSpan WindowAfter(int changes) => changes >= BusyPushChanges ? BusyWindow : Window;

    /// <summary>Zero: push now (quiet for a whole window). Otherwise how long until the window that started with the last push ends.</summary>
    public static TimeSpan DueIn(long millisecondsSinceLastPush, TimeSpan window) =>
        millisecondsSinceLastPush >= (long)window.TotalMilliseconds
            ? TimeSpan.Zero
            : window - TimeSpan.FromMilliseconds(millisecondsSinceLastPush);
}
