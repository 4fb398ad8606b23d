namespace LogCluster.Protocol.Records;

/// <summary>
/// Zigzag varints as RecordBatch v2 records use them (protobuf's sint32/sint64 encoding):
/// -1 encodes as the single byte 0x01, so a null key or value costs one byte.
/// </summary>
public static class Varint
{
    public const int MaxInt32Bytes = 5;
    public const int MaxInt64Bytes = 10;

    public static int SizeOf(int value) => SizeOfUnsigned(ZigZag(value));

    public static int SizeOf(long value) => SizeOfUnsigned(ZigZag(value));

    /// <summary>Writes <paramref name="value"/> zigzag-encoded; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, int value) => WriteUnsigned(destination, ZigZag(value));

    /// <summary>Writes <paramref name="value"/> zigzag-encoded; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, long value) => WriteUnsigned(destination, ZigZag(value));

    /// <summary>Reads a zigzag varint that must fit 32 bits; throws <see cref="InvalidDataException"/> otherwise.</summary>
    public static int ReadInt32(ReadOnlySpan<byte> source, out int bytesRead)
    {
        var raw = ReadUnsigned(source, MaxInt32Bytes, out bytesRead);
        if (raw > uint.MaxValue)
        {
            throw new InvalidDataException("varint does not fit in 32 bits");
        }
        var u = (uint)raw;
        return (int)(u >> 1) ^ -(int)(u & 1);
    }

    /// <summary>Reads a zigzag varint of up to 64 bits; throws <see cref="InvalidDataException"/> when malformed.</summary>
    public static long ReadInt64(ReadOnlySpan<byte> source, out int bytesRead)
    {
        var u = ReadUnsigned(source, MaxInt64Bytes, out bytesRead);
        return (long)(u >> 1) ^ -(long)(u & 1);
    }

    private static uint ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static int SizeOfUnsigned(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    private static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    private static ulong ReadUnsigned(ReadOnlySpan<byte> source, int maxBytes, out int bytesRead)
    {
        ulong result = 0;
        for (var i = 0; i < maxBytes; i++)
        {
            if (i >= source.Length)
            {
                throw new InvalidDataException("varint runs past the end of its buffer");
            }
            var b = source[i];
            result |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                bytesRead = i + 1;
                return result;
            }
        }
        throw new InvalidDataException($"varint longer than {maxBytes} bytes");
    }
}
