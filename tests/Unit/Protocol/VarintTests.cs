using LogCluster.Protocol.Records;

namespace LogCluster.Tests.Unit.Protocol;

public class VarintTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(-1, new byte[] { 0x01 })]
    [InlineData(1, new byte[] { 0x02 })]
    [InlineData(63, new byte[] { 0x7E })]
    [InlineData(-64, new byte[] { 0x7F })]
    [InlineData(64, new byte[] { 0x80, 0x01 })]
    [InlineData(-65, new byte[] { 0x81, 0x01 })]
    [InlineData(int.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0x0F })]
    [InlineData(int.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void WriteInt32_KnownValue_GivesZigzagEncoding(int value, byte[] expected)
    {
        var buffer = new byte[Varint.MaxInt32Bytes];
        var written = Varint.Write(buffer, value);

        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOf(value));
        Assert.Equal(value, Varint.ReadInt32(expected, out var read));
        Assert.Equal(expected.Length, read);
    }

    [Theory]
    [InlineData(0L, new byte[] { 0x00 })]
    [InlineData(-1L, new byte[] { 0x01 })]
    [InlineData(64L, new byte[] { 0x80, 0x01 })]
    [InlineData(long.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    [InlineData(long.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    public void WriteInt64_KnownValue_GivesZigzagEncoding(long value, byte[] expected)
    {
        var buffer = new byte[Varint.MaxInt64Bytes];
        var written = Varint.Write(buffer, value);

        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOf(value));
        Assert.Equal(value, Varint.ReadInt64(expected, out var read));
        Assert.Equal(expected.Length, read);
    }

    [Fact]
    public void Write_RandomValues_RoundTrip()
    {
        const int Seed = 42;
        var random = new Random(Seed);
        var buffer = new byte[Varint.MaxInt64Bytes];
        for (var i = 0; i < 10_000; i++)
        {
            var small = random.Next(int.MinValue, int.MaxValue);
            var written = Varint.Write(buffer, small);
            Assert.True(small == Varint.ReadInt32(buffer, out var read) && read == written, $"seed {Seed}, int {small}");

            var large = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);
            written = Varint.Write(buffer, large);
            Assert.True(large == Varint.ReadInt64(buffer, out read) && read == written, $"seed {Seed}, long {large}");
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })] // six bytes: longer than an int32 may be
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F })] // five bytes carrying 33 bits
    [InlineData(new byte[] { 0x80 })] // continuation bit with nothing after it
    [InlineData(new byte[] { })]
    public void ReadInt32_Malformed_ThrowsInvalidData(byte[] encoded)
    {
        Assert.Throws<InvalidDataException>(() => Varint.ReadInt32(encoded, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })] // eleven bytes
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF })] // truncated
    public void ReadInt64_Malformed_ThrowsInvalidData(byte[] encoded)
    {
        Assert.Throws<InvalidDataException>(() => Varint.ReadInt64(encoded, out _));
    }
}
