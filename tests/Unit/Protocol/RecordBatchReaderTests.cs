using System.Buffers;
using System.Buffers.Binary;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Unit.Protocol;

public class RecordBatchReaderTests
{
    [Fact]
    public void SplitBatches_ThreeWholeAndATruncatedFourth_YieldsThree()
    {
        // All four built back to back into one buffer, as a Fetch response concatenates them.
        var buffer = new ArrayBufferWriter<byte>();
        var built = new List<byte[]>();
        for (var i = 0; i < 4; i++)
        {
            var builder = new RecordBatchBuilder(buffer, i % 2 == 0 ? CompressionType.None : CompressionType.Lz4);
            for (var r = 0; r <= i; r++)
            {
                builder.Append(1000 + r, [(byte)i], [(byte)r]);
            }
            built.Add(builder.Build().ToArray());
        }
        var truncated = buffer.WrittenMemory[..(buffer.WrittenCount - 5)];

        var batches = RecordBatchReader.SplitBatches(truncated).ToList();

        Assert.Equal(3, batches.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(built[i], batches[i].ToArray());
            Assert.Equal(i + 1, RecordBatchReader.ReadRecords(batches[i].Span).Count);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)] // not even a batch length
    [InlineData(61)] // a header without its records
    public void SplitBatches_OnlyAPartialBatch_YieldsNothing(int length)
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>());
        builder.Append(1, null, [1, 2, 3]);
        var batch = builder.Build();

        Assert.Empty(RecordBatchReader.SplitBatches(batch[..length]));
    }

    [Fact]
    public void SplitBatches_BatchLengthBelowHeader_ThrowsCorruptMessage()
    {
        var bytes = new byte[100];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(RecordBatchLayout.BatchLengthOffset), 10);

        var thrown = Assert.Throws<CorruptBatchException>(() => RecordBatchReader.SplitBatches(bytes).ToList());

        Assert.Equal(ErrorCode.CorruptMessage, thrown.ErrorCode);
    }

    [Fact]
    public void ReadRecords_TooShort_ThrowsWithValidationError()
    {
        var thrown = Assert.Throws<CorruptBatchException>(() => RecordBatchReader.ReadRecords(new byte[20]));

        Assert.Equal(ErrorCode.InvalidRecord, thrown.ErrorCode);
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void ReadRecords_CompressedCountDisagreesWithRecords_ThrowsInvalidRecord(CompressionType compression)
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>(), compression);
        builder.Append(1, null, [1]);
        builder.Append(2, null, [2]);
        var batch = builder.Build().ToArray();
        // Claim three records, consistently in both count fields and under a correct CRC.
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.RecordCountOffset), 3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchLayout.LastOffsetDeltaOffset), 2);
        RewriteCrc(batch);

        var thrown = Assert.Throws<CorruptBatchException>(() => RecordBatchReader.ReadRecords(batch));

        Assert.Equal(ErrorCode.InvalidRecord, thrown.ErrorCode);
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void ReadRecords_CompressedPayloadIsGarbage_ThrowsInvalidRecord(CompressionType compression)
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>());
        builder.Append(1, null, "these bytes are not compressed"u8.ToArray());
        var batch = builder.Build().ToArray();
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchLayout.AttributesOffset), (short)compression);
        RewriteCrc(batch);

        var thrown = Assert.Throws<CorruptBatchException>(() => RecordBatchReader.ReadRecords(batch));

        Assert.Equal(ErrorCode.InvalidRecord, thrown.ErrorCode);
    }

    [Fact]
    public void Build_NoRecords_ThrowsInvalidOperation()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var builder = new RecordBatchBuilder(buffer);

        Assert.Throws<InvalidOperationException>(() => builder.Build());
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public void Append_AfterBuild_ThrowsInvalidOperation()
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>());
        builder.Append(1, null, null);
        builder.Build();

        Assert.Throws<InvalidOperationException>(() => builder.Append(2, null, null));
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }

    [Fact]
    public void Append_HeaderWithNullKey_ThrowsAndLeavesBufferUntouched()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var builder = new RecordBatchBuilder(buffer);

        Assert.Throws<ArgumentNullException>(() => builder.Append(1, null, null, [new RecordHeader(null!, null)]));
        Assert.Equal(0, buffer.WrittenCount);
        Assert.Equal(0, builder.RecordCount);
    }

    private static void RewriteCrc(byte[] batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchLayout.CrcOffset), ReferenceCrc32C.Compute(batch.AsSpan(RecordBatchLayout.AttributesOffset)));
}
