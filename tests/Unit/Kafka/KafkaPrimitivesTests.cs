using System.Buffers;
using LogCluster.LogNode.Kafka.Wire;

namespace LogCluster.Tests.Unit.Kafka;

/// <summary>Varints, UUIDs and bytes byte for byte as Kafka's protocol guide defines them.</summary>
public sealed class KafkaPrimitivesTests
{
    [Theory]
    [InlineData(0, "00")]
    [InlineData(-1, "01")]
    [InlineData(1, "02")]
    [InlineData(63, "7e")]
    [InlineData(-64, "7f")]
    [InlineData(64, "8001")]
    [InlineData(int.MaxValue, "feffffff0f")]
    [InlineData(int.MinValue, "ffffffff0f")]
    public void ZigzagVarints_RoundTripAsSpecified(int value, string hex)
    {
        var output = new ArrayBufferWriter<byte>();
        new KafkaWriter(output).WriteVarInt(value);
        Assert.Equal(hex, Convert.ToHexString(output.WrittenSpan), ignoreCase: true);

        var reader = new KafkaReader(output.WrittenMemory);
        Assert.Equal(value, reader.ReadVarInt());
    }

    [Theory]
    [InlineData("ffffffffff01")] // a sixth byte
    [InlineData("ffffffff1f")] // five bytes, but 33 bits
    public void AVarintLongerThanFiveBytesOrWiderThan32Bits_IsRefused(string hex)
    {
        var error = Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Convert.FromHexString(hex)).ReadUnsignedVarInt());

        Assert.Contains("longer than 5 bytes or does not fit in 32 bits", error.Message);
    }

    [Fact]
    public void AUuid_IsItsSixteenBytesMostSignificantFirst()
    {
        var id = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var output = new ArrayBufferWriter<byte>();
        new KafkaWriter(output).WriteUuid(id);

        Assert.Equal("00112233445566778899AABBCCDDEEFF", Convert.ToHexString(output.WrittenSpan));
        Assert.Equal(id, new KafkaReader(output.WrittenMemory).ReadUuid());
    }

    [Fact]
    public void BytesAreSlicesOfTheFrame_NotCopies()
    {
        var frame = Convert.FromHexString("00000003" + "aabbcc");

        var bytes = new KafkaReader(frame).ReadBytes(compact: false);

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment));
        Assert.Same(frame, segment.Array);
        Assert.Equal(4, segment.Offset);
    }

    [Theory]
    [InlineData("ffffffff", false)]
    [InlineData("00", true)]
    public void NullBytes_ReadAsNull_AndAreRefusedWhereTheFieldIsNotNullable(string hex, bool compact)
    {
        // A null length must not come back as an empty slice: records null and records empty differ on the wire.
        Assert.Null(new KafkaReader(Convert.FromHexString(hex)).ReadNullableBytes(compact));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Convert.FromHexString(hex)).ReadBytes(compact));
    }
}
