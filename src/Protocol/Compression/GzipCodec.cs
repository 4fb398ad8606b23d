using System.Buffers;
using System.IO.Compression;

namespace LogCluster.Protocol.Compression;

/// <summary>Standard gzip (RFC 1952), as Kafka's GZIPOutputStream writes it.</summary>
internal static class GzipCodec
{
    private const int ReadChunk = 16 * 1024;

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(source);
        }
        destination.Write(output.GetBuffer().AsSpan(0, (int)output.Length));
    }

    public static void Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        // GZipStream reads only from a Stream; a rented copy of the input avoids a new array per batch.
        var rented = ArrayPool<byte>.Shared.Rent(source.Length);
        try
        {
            source.CopyTo(rented);
            using var gzip = new GZipStream(new MemoryStream(rented, 0, source.Length, writable: false), CompressionMode.Decompress);
            int read;
            do
            {
                read = gzip.Read(destination.GetSpan(ReadChunk));
                destination.Advance(read);
            }
            while (read > 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
