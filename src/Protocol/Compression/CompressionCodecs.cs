using System.Buffers;

namespace LogCluster.Protocol.Compression;

/// <summary>
/// The four codecs of RecordBatch v2, each byte-compatible with what a Kafka producer writes and reads:
/// the compressed form of a batch is one blob holding all its records.
/// </summary>
internal static class CompressionCodecs
{
    public static void Compress(CompressionType compression, ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        switch (compression)
        {
            case CompressionType.Gzip:
                GzipCodec.Compress(source, destination);
                break;
            case CompressionType.Snappy:
                SnappyCodec.Compress(source, destination);
                break;
            case CompressionType.Lz4:
                Lz4Codec.Compress(source, destination);
                break;
            case CompressionType.Zstd:
                ZstdCodec.Compress(source, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(compression), compression, "no codec compresses this type");
        }
    }

    /// <summary>Inflates <paramref name="source"/>; throws <see cref="InvalidDataException"/> when it is malformed.</summary>
    public static void Decompress(CompressionType compression, ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        switch (compression)
        {
            case CompressionType.Gzip:
                GzipCodec.Decompress(source, destination);
                break;
            case CompressionType.Snappy:
                SnappyCodec.Decompress(source, destination);
                break;
            case CompressionType.Lz4:
                Lz4Codec.Decompress(source, destination);
                break;
            case CompressionType.Zstd:
                ZstdCodec.Decompress(source, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(compression), compression, "no codec decompresses this type");
        }
    }
}
