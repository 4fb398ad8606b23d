using System.Buffers;
using System.Buffers.Binary;
using LogCluster.Protocol.Compression;
using Snappier;
using ZstdSharp;

namespace LogCluster.Tests.Unit.Protocol;

public class CompressionCodecsTests
{
    public static TheoryData<CompressionType, int> CodecsAndSizes()
    {
        var data = new TheoryData<CompressionType, int>();
        foreach (var compression in new[] { CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd })
        {
            // Empty, tiny, exactly one snappy block, one byte over it, and several 64 KiB lz4 blocks.
            foreach (var size in new[] { 0, 1, 1000, 32 * 1024, 32 * 1024 + 1, 300_000 })
            {
                data.Add(compression, size);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CodecsAndSizes))]
    public void Decompress_WhatCompressWrote_GivesTheInputBack(CompressionType compression, int size)
    {
        var input = HalfCompressible(size, seed: size);

        var compressed = Compress(compression, input);
        var output = new ArrayBufferWriter<byte>();
        CompressionCodecs.Decompress(compression, compressed, output);

        Assert.True(input.AsSpan().SequenceEqual(output.WrittenSpan), $"{compression}, {size} bytes (seed {size})");
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Decompress_AllZeros_GivesTheInputBack(CompressionType compression)
    {
        // The best case of every codec: the highest expansion a reader must accept.
        var input = new byte[300_000];

        var output = new ArrayBufferWriter<byte>();
        CompressionCodecs.Decompress(compression, Compress(compression, input), output);

        Assert.True(input.AsSpan().SequenceEqual(output.WrittenSpan), compression.ToString());
    }

    [Theory]
    [InlineData(CompressionType.Gzip, new byte[] { 0x1F, 0x8B })]
    [InlineData(CompressionType.Snappy, new byte[] { 0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1 })]
    [InlineData(CompressionType.Lz4, new byte[] { 0x04, 0x22, 0x4D, 0x18, 0x60, 0x40 })] // FLG 0x60, BD 0x40: as Kafka
    [InlineData(CompressionType.Zstd, new byte[] { 0x28, 0xB5, 0x2F, 0xFD })]
    public void Compress_AnyInput_StartsWithTheCodecsMagic(CompressionType compression, byte[] magic)
    {
        var compressed = Compress(compression, HalfCompressible(5000, seed: 1));

        Assert.Equal(magic, compressed[..magic.Length]);
    }

    [Fact]
    public void Compress_Snappy_WritesXerialBlocksOf32KiB()
    {
        var compressed = Compress(CompressionType.Snappy, HalfCompressible(100_000, seed: 2));

        var uncompressedSizes = new List<int>();
        var rest = compressed.AsSpan(16);
        while (!rest.IsEmpty)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(rest);
            uncompressedSizes.Add(Snappy.GetUncompressedLength(rest.Slice(4, length)));
            rest = rest[(4 + length)..];
        }

        Assert.Equal([32768, 32768, 32768, 100_000 - (3 * 32768)], uncompressedSizes);
    }

    [Fact]
    public void Decompress_RawSnappyWithoutTheXerialHeader_GivesTheInputBack()
    {
        // librdkafka writes a batch's records as one raw snappy block; snappy-java's reader accepts that too.
        var input = HalfCompressible(50_000, seed: 7);
        var raw = Snappy.CompressToArray(input);

        var output = new ArrayBufferWriter<byte>();
        CompressionCodecs.Decompress(CompressionType.Snappy, raw, output);

        Assert.True(input.AsSpan().SequenceEqual(output.WrittenSpan));
    }

    [Fact]
    public void Decompress_ZstdFrameWithoutContentSize_GivesTheInputBack()
    {
        // Kafka's zstd writer streams, so its frames carry no content size; ZstdSharp's stream does the same.
        var input = HalfCompressible(500_000, seed: 3);
        using var compressed = new MemoryStream();
        using (var zstd = new CompressionStream(compressed, level: 3))
        {
            zstd.Write(input);
        }

        var output = new ArrayBufferWriter<byte>();
        CompressionCodecs.Decompress(CompressionType.Zstd, compressed.ToArray(), output);

        Assert.True(input.AsSpan().SequenceEqual(output.WrittenSpan));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Decompress_Garbage_ThrowsInvalidData(CompressionType compression)
    {
        var garbage = HalfCompressible(200, seed: 4);

        Assert.Throws<InvalidDataException>(() => CompressionCodecs.Decompress(compression, garbage, new ArrayBufferWriter<byte>()));
    }

    [Theory]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Decompress_Truncated_ThrowsInvalidData(CompressionType compression)
    {
        var compressed = Compress(compression, HalfCompressible(100_000, seed: 5));

        Assert.Throws<InvalidDataException>(() => CompressionCodecs.Decompress(compression, compressed.AsSpan(0, compressed.Length - 10), new ArrayBufferWriter<byte>()));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Decompress_RandomlyDamaged_FailsOnlyWithInvalidData(CompressionType compression)
    {
        // The reader turns InvalidDataException into CorruptBatchException; any other type would escape it.
        var compressed = Compress(compression, HalfCompressible(20_000, seed: 6));
        for (var seed = 1; seed <= 2000; seed++)
        {
            var random = new Random(seed);
            var length = random.Next(2) == 0 ? compressed.Length : random.Next(compressed.Length + 1);
            var damaged = compressed.AsSpan(0, length).ToArray();
            for (var flips = random.Next(5); flips > 0 && damaged.Length > 0; flips--)
            {
                damaged[random.Next(damaged.Length)] ^= (byte)random.Next(1, 256);
            }

            var thrown = Record.Exception(() => CompressionCodecs.Decompress(compression, damaged, new ArrayBufferWriter<byte>()));

            // Some damage still decodes, to wrong bytes; the batch CRC over the compressed bytes catches that first.
            Assert.True(thrown is null or InvalidDataException, $"{compression}, seed {seed}: {thrown?.GetType().Name}: {thrown?.Message}");
        }
    }

    [Fact]
    public void Compress_None_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CompressionCodecs.Compress(CompressionType.None, [1], new ArrayBufferWriter<byte>()));
    }

    private static byte[] Compress(CompressionType compression, byte[] input)
    {
        var output = new ArrayBufferWriter<byte>();
        CompressionCodecs.Compress(compression, input, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Alternating runs of noise and of a small alphabet, so blocks both shrink and don't.</summary>
    private static byte[] HalfCompressible(int size, int seed)
    {
        var random = new Random(seed);
        var data = new byte[size];
        random.NextBytes(data);
        for (var i = 0; i < size; i++)
        {
            if (i / 4096 % 2 == 1)
            {
                data[i] = (byte)('a' + (data[i] & 3));
            }
        }
        return data;
    }
}
