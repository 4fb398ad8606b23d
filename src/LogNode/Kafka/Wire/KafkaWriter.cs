using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace LogCluster.LogNode.Kafka.Wire;

/// <summary>Writes Kafka's primitive types into a buffer writer; the mirror of <see cref="KafkaReader"/>.</summary>
internal sealed class KafkaWriter(IBufferWriter<byte> output)
{
    private Span<byte> Next(int count)
    {
        var span = output.GetSpan(count)[..count];
        output.Advance(count);
        return span;
    }

    public void WriteInt8(sbyte value) => Next(1)[0] = (byte)value;

    public void WriteBool(bool value) => Next(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Next(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Next(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Next(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Next(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Next(8), value);

    public void WriteFloat64(double value) => BinaryPrimitives.WriteDoubleBigEndian(Next(8), value);

    public void WriteUuid(Guid value)
    {
        if (!value.TryWriteBytes(Next(16), bigEndian: true, out _))
        {
            throw new InvalidOperationException("a UUID takes 16 bytes");
        }
    }

    public void WriteUnsignedVarInt(uint value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        WriteByte((byte)value);
    }

    public void WriteVarInt(int value) => WriteUnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    private void WriteByte(byte value) => Next(1)[0] = value;

    /// <summary>A length as compact fields carry it: length + 1, 0 for null.</summary>
    public void WriteCompactLength(int length) => WriteUnsignedVarInt((uint)(length + 1));

    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            WriteLength(-1, compact, classicInt16: true);
            return;
        }
        var length = Encoding.UTF8.GetByteCount(value);
        if (!compact && length > short.MaxValue)
        {
            throw new InvalidOperationException($"a string of {length} bytes does not fit a classic string");
        }
        WriteLength(length, compact, classicInt16: true);
        Encoding.UTF8.GetBytes(value, Next(length));
    }

    public void WriteString(string value, bool compact) => WriteNullableString(value, compact);

    public void WriteNullableBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is not { } bytes)
        {
            WriteLength(-1, compact, classicInt16: false);
            return;
        }
        WriteLength(bytes.Length, compact, classicInt16: false);
        bytes.Span.CopyTo(Next(bytes.Length));
    }

    public void WriteBytes(ReadOnlyMemory<byte> value, bool compact) => WriteNullableBytes(value, compact);

    /// <summary>An array's element count (-1 for null).</summary>
    public void WriteArrayLength(int count, bool compact) => WriteLength(count, compact, classicInt16: false);

    private void WriteLength(int length, bool compact, bool classicInt16)
    {
        if (compact)
        {
            WriteCompactLength(length);
        }
        else if (classicInt16)
        {
            WriteInt16((short)length);
        }
        else
        {
            WriteInt32(length);
        }
    }

    /// <summary>
    /// The tagged fields of a flexible structure, in ascending tag order: each written to a scratch buffer first,
    /// since its size goes before it. Tagged fields are rare and small, so the copy costs nothing that matters.
    /// </summary>
    public void WriteTaggedFields(IReadOnlyList<(uint Tag, Action<KafkaWriter> Write)> fields)
    {
        WriteUnsignedVarInt((uint)fields.Count);
        foreach (var (tag, write) in fields)
        {
            var scratch = new ArrayBufferWriter<byte>();
            write(new KafkaWriter(scratch));
            WriteUnsignedVarInt(tag);
            WriteUnsignedVarInt((uint)scratch.WrittenCount);
            scratch.WrittenSpan.CopyTo(Next(scratch.WrittenCount));
        }
    }
}
