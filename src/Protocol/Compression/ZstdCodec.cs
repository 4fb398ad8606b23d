using System.Buffers;
using ZstdSharp;

namespace LogCluster.Protocol.Compression;

/// <summary>Standard zstd frames at level 3, Kafka's default zstd level.</summary>
internal static class ZstdCodec
{
    private const int Level = 3;

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        using var compressor = new Compressor(Level);
        var written = compressor.Wrap(source, destination.GetSpan(Compressor.GetCompressBound(source.Length)));
        destination.Advance(written);
    }

    public static void Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        try
        {
            // Kafka's streaming writer leaves the content size out of the frame header; the bound then comes
            // from the block count, which is enough room for one-shot decompression of every frame in source.
            var bound = Decompressor.GetDecompressedSize(source);
            if (bound > int.MaxValue)
            {
                throw new InvalidDataException($"zstd records claim {bound} bytes uncompressed");
            }
            using var decompressor = new Decompressor();
            destination.Advance(decompressor.Unwrap(source, destination.GetSpan((int)bound)));
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"zstd records are malformed: {e.Message}", e);
        }
    }
}
