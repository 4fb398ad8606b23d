using System.Buffers.Binary;
using System.Text;

namespace LogCluster.LogNode.Kafka.Wire;

/// <summary>
/// Reads Kafka's primitive types (big-endian integers, varints, classic and compact strings, bytes and arrays,
/// UUIDs, tagged fields) from one request's bytes. Bytes and records come back as slices of the received buffer,
/// never copies, so a produce request's record batches go to the append path as they arrived. Every read checks
/// its bounds: a short or lying frame throws <see cref="KafkaProtocolException"/>, never reads past the frame.
/// </summary>
internal struct KafkaReader(ReadOnlyMemory<byte> buffer)
{
    private readonly ReadOnlyMemory<byte> _buffer = buffer;
    private int _position;

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new KafkaProtocolException($"the frame ends {count - Remaining} bytes too early at byte {_position}");
        }
        var span = _buffer.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    private ReadOnlyMemory<byte> Slice(int count)
    {
        Take(count);
        return _buffer.Slice(_position - count, count);
    }

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public bool ReadBool() => Take(1)[0] != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>A UUID as Kafka sends it: 16 bytes, most significant first.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>An unsigned LEB128 varint of at most 5 bytes, whose value fits in 32 bits.</summary>
    public uint ReadUnsignedVarInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 28; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        // The fifth byte holds the top 4 bits and ends the varint.
        var last = Take(1)[0];
        if (last > 0x0F)
        {
            throw new KafkaProtocolException("an unsigned varint is longer than 5 bytes or does not fit in 32 bits");
        }
        return value | ((uint)last << 28);
    }

    /// <summary>A zigzag varint (Kafka's signed VARINT).</summary>
    public int ReadVarInt()
    {
        var raw = ReadUnsignedVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>The length of a compact (flexible) string, bytes or array: the varint holds length + 1, 0 for null.</summary>
    public int ReadCompactLength()
    {
        var raw = ReadUnsignedVarInt();
        if (raw > int.MaxValue)
        {
            throw new KafkaProtocolException($"a compact length of {raw} is out of range");
        }
        return (int)raw - 1;
    }

    public string? ReadNullableString(bool compact)
    {
        var length = compact ? ReadCompactLength() : ReadInt16();
        if (length < -1)
        {
            throw new KafkaProtocolException($"a string length of {length} is invalid");
        }
        return length == -1 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public string ReadString(bool compact) =>
        ReadNullableString(compact) ?? throw new KafkaProtocolException("a non-nullable string is null");

    /// <summary>Bytes (and records) as a slice of the frame; null when the length is -1.</summary>
    public ReadOnlyMemory<byte>? ReadNullableBytes(bool compact)
    {
        var length = compact ? ReadCompactLength() : ReadInt32();
        if (length < -1)
        {
            throw new KafkaProtocolException($"a bytes length of {length} is invalid");
        }
        return length == -1 ? (ReadOnlyMemory<byte>?)null : Slice(length);
    }

    public ReadOnlyMemory<byte> ReadBytes(bool compact) =>
        ReadNullableBytes(compact) ?? throw new KafkaProtocolException("non-nullable bytes are null");

    /// <summary>An array's element count, -1 for null; bounded by the bytes left, so a lying count cannot allocate.</summary>
    public int ReadArrayLength(bool compact)
    {
        var count = compact ? ReadCompactLength() : ReadInt32();
        if (count < -1 || count > Remaining)
        {
            throw new KafkaProtocolException($"an array of {count} elements cannot fit in the {Remaining} bytes left");
        }
        return count;
    }

    /// <summary>
    /// The tagged fields at the end of a flexible structure: <paramref name="known"/> reads the tags this version
    /// knows (given the tag and its reader positioned on the field's bytes); unknown tags are skipped, as KIP-482 says.
    /// </summary>
    public void ReadTaggedFields(TaggedFieldReader? known)
    {
        var count = ReadUnsignedVarInt();
        var previous = -1L;
        for (var i = 0u; i < count; i++)
        {
            var tag = ReadUnsignedVarInt();
            if (tag <= previous)
            {
                throw new KafkaProtocolException($"tagged field {tag} follows tag {previous}: tags must ascend");
            }
            previous = tag;
            var size = ReadUnsignedVarInt();
            if (size > Remaining)
            {
                throw new KafkaProtocolException($"tagged field {tag} of {size} bytes cannot fit in the {Remaining} bytes left");
            }
            var field = new KafkaReader(Slice((int)size));
            known?.Invoke(tag, ref field);
        }
    }
}

/// <summary>Reads one known tagged field from a reader that holds exactly its bytes.</summary>
internal delegate void TaggedFieldReader(uint tag, ref KafkaReader field);
