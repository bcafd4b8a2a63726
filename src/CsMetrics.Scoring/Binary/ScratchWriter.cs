namespace CsMetrics.Scoring.Binary;

/// <summary>
/// Writes a binary record into a buffer kept per thread and returns it as one exactly sized
/// array. A <see cref="MemoryStream"/> per record allocated its buffer (often grown by doubling)
/// and then the copy: the ingest log's entry encoding alone was ~4 % of the engine's allocated
/// bytes that way. A buffer that grew past <see cref="KeptCapacity"/> is dropped after use, so one
/// big record does not pin a big buffer on every thread; a nested call (a writer that itself
/// encodes a record) gets a buffer of its own.
/// </summary>
public static class ScratchWriter
{
    public const int KeptCapacity = 1 << 20;

    [ThreadStatic] private static MemoryStream? t_buffer;
    [ThreadStatic] private static BinaryWriter? t_writer;
    [ThreadStatic] private static bool t_inUse;

    /// <summary>The bytes <paramref name="write"/> writes for <paramref name="state"/> (a static lambda allocates nothing).</summary>
    public static byte[] ToArray<TState>(TState state, Action<BinaryWriter, TState> write)
    {
        if (t_inUse)
        {
            using var own = new MemoryStream();
            using (var w = new BinaryWriter(own, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                write(w, state);
            }
            return own.ToArray();
        }
        var buffer = t_buffer ??= new MemoryStream(4096);
        var writer = t_writer ??= new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true);
        t_inUse = true;
        try
        {
            buffer.SetLength(0);
            write(writer, state);
            writer.Flush();
            return buffer.ToArray();
        }
        finally
        {
            t_inUse = false;
            if (buffer.Capacity > KeptCapacity)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }
}
