using System.Buffers;
using System.Buffers.Binary;
using Snappier;

namespace LogCluster.Protocol.Compression;

/// <summary>
/// Snappy in the framing of xerial snappy-java's SnappyOutputStream, which Kafka uses (not the official
/// snappy framing format): a 16-byte header, then blocks of [int32 BE compressed length][raw snappy block].
/// Read also without the header, as one raw snappy block: librdkafka writes that, and snappy-java's reader (so
/// Kafka's consumers) falls back to it when the header is missing.
/// </summary>
internal static class SnappyCodec
{
    /// <summary>Uncompressed bytes per block: SnappyOutputStream's default, which Kafka keeps.</summary>
    private const int BlockSize = 32 * 1024;

    /// <summary>
    /// No snappy element expands more than 64/3 times (a 3-byte copy yields at most 64 bytes), so a block claiming
    /// more is forged; checking first keeps it from sizing a huge buffer.
    /// </summary>
    private const int MaxExpansion = 22;

    /// <summary>The magic the reader checks; the two version fields after it are not checked.</summary>
    private const int MagicLength = 8;

    /// <summary>Magic 0x82 "SNAPPY" 0x00, then int32 BE version 1 and int32 BE minimum compatible version 1.</summary>
    private static ReadOnlySpan<byte> Header =>
        [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0x00, 0, 0, 0, 1, 0, 0, 0, 1];

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        destination.Write(Header);
        while (!source.IsEmpty)
        {
            var block = source[..Math.Min(BlockSize, source.Length)];
            var span = destination.GetSpan(sizeof(int) + Snappy.GetMaxCompressedLength(block.Length));
            var written = Snappy.Compress(block, span[sizeof(int)..]);
            BinaryPrimitives.WriteInt32BigEndian(span, written);
            destination.Advance(sizeof(int) + written);
            source = source[block.Length..];
        }
    }

    public static void Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        if (source.Length < Header.Length || !source[..MagicLength].SequenceEqual(Header[..MagicLength]))
        {
            DecompressBlock(source, destination);
            return;
        }
        source = source[Header.Length..];
        while (!source.IsEmpty)
        {
            var length = source.Length >= sizeof(int) ? BinaryPrimitives.ReadInt32BigEndian(source) : -1;
            if (length < 0 || length > source.Length - sizeof(int))
            {
                throw new InvalidDataException($"snappy block length {length} does not fit the {source.Length} bytes left");
            }
            DecompressBlock(source.Slice(sizeof(int), length), destination);
            source = source[(sizeof(int) + length)..];
        }
    }

    private static void DecompressBlock(ReadOnlySpan<byte> block, IBufferWriter<byte> destination)
    {
        var size = Snappy.GetUncompressedLength(block);
        if (size < 0 || size > (long)MaxExpansion * block.Length)
        {
            throw new InvalidDataException($"a {block.Length}-byte snappy block claims {size} bytes uncompressed");
        }
        var written = Snappy.Decompress(block, destination.GetSpan(size));
        destination.Advance(written);
    }
}
