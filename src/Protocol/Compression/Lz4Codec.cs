using System.Buffers;
using K4os.Compression.LZ4.Streams;

namespace LogCluster.Protocol.Compression;

/// <summary>
/// The LZ4 frame format (magic 0x184D2204) with the settings of Kafka's KafkaLZ4BlockOutputStream:
/// 64 KiB independent blocks, no block or content checksum, no content size (FLG 0x60, BD 0x40).
/// </summary>
internal static class Lz4Codec
{
    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var settings = new LZ4EncoderSettings
        {
            BlockSize = 64 * 1024,
            ChainBlocks = false,
            BlockChecksum = false,
            ContentChecksum = false,
        };
        LZ4Frame.Encode(source, destination, settings);
    }

    public static void Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        try
        {
            LZ4Frame.Decode(source, destination);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidOperationException)
        {
            // K4os reports a truncated frame as end of stream and a block that does not decode as a bad state.
            throw new InvalidDataException($"lz4 records are malformed: {e.Message}", e);
        }
    }
}
