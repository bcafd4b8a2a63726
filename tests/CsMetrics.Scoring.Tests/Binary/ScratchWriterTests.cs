using CsMetrics.Scoring.Binary;

namespace CsMetrics.Scoring.Tests.Binary;

public sealed class ScratchWriterTests
{
    private static byte[] Bytes(int n) => ScratchWriter.ToArray(n, static (w, count) =>
    {
        for (int i = 0; i < count; i++)
        {
            w.Write((byte)i);
        }
    });

    [Fact]
    public void Each_record_comes_out_exactly_also_after_a_bigger_one_on_the_same_thread()
    {
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (byte)i), Bytes(300));
        Assert.Equal([0, 1, 2], Bytes(3));
        Assert.Empty(Bytes(0));
        Assert.Equal(ScratchWriter.KeptCapacity + 10, Bytes(ScratchWriter.KeptCapacity + 10).Length);
        Assert.Equal([0, 1], Bytes(2));
    }

    [Fact]
    public void A_record_written_while_another_is_being_written_gets_its_own_buffer()
    {
        byte[]? inner = null;
        var outer = ScratchWriter.ToArray(0, (w, _) =>
        {
            w.Write("outer");
            inner = Bytes(4);
            w.Write(42);
        });

        Assert.Equal([0, 1, 2, 3], inner);
        using var r = new BinaryReader(new MemoryStream(outer));
        Assert.Equal("outer", r.ReadString());
        Assert.Equal(42, r.ReadInt32());
        Assert.Equal(outer.Length, r.BaseStream.Position);
    }

    [Fact]
    public void A_writer_that_throws_leaves_the_buffer_usable()
    {
        Assert.Throws<InvalidOperationException>(() => ScratchWriter.ToArray(0, static (w, _) =>
        {
            w.Write(123L);
            throw new InvalidOperationException("bad record");
        }));
        Assert.Equal([0, 1, 2], Bytes(3));
    }
}
