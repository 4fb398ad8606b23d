using System.Buffers;
using System.Buffers.Binary;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.Records;

namespace LogCluster.Tests.Unit.Protocol;

/// <summary>
/// Batches worked out by hand from the RecordBatch v2 specification. Each CRC field was computed independently
/// (a bitwise CRC-32C in Python) and is checked again here against <see cref="ReferenceCrc32C"/>, never against
/// the production code.
/// </summary>
public class RecordBatchGoldenTests
{
    private const long Timestamp = 1_700_000_000_000; // 0x0000_018B_CFE5_6800

    private static readonly byte[] _oneRecord =
    [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // baseOffset 0
        0x00, 0x00, 0x00, 0x39, // batchLength 57 = 69 bytes - 12
        0xFF, 0xFF, 0xFF, 0xFF, // partitionLeaderEpoch -1
        0x02, // magic 2
        0x96, 0x5A, 0x94, 0xB1, // crc 0x965A94B1 over bytes [21, 69)
        0x00, 0x00, // attributes: no compression, CreateTime, not transactional
        0x00, 0x00, 0x00, 0x00, // lastOffsetDelta 0
        0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // baseTimestamp 1700000000000
        0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // maxTimestamp 1700000000000
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // producerId -1
        0xFF, 0xFF, // producerEpoch -1
        0xFF, 0xFF, 0xFF, 0xFF, // baseSequence -1
        0x00, 0x00, 0x00, 0x01, // recordCount 1
        // record 0
        0x0E, // length 7 (zigzag 14)
        0x00, // attributes
        0x00, // timestampDelta 0
        0x00, // offsetDelta 0
        0x01, // keyLength -1: null key
        0x02, 0x61, // valueLength 1, "a"
        0x00, // headersCount 0
    ];

    private static readonly byte[] _twoRecords =
    [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // baseOffset 0
        0x00, 0x00, 0x00, 0x49, // batchLength 73 = 85 bytes - 12
        0xFF, 0xFF, 0xFF, 0xFF, // partitionLeaderEpoch -1
        0x02, // magic 2
        0x20, 0xDC, 0x11, 0x2D, // crc 0x20DC112D over bytes [21, 85)
        0x00, 0x00, // attributes
        0x00, 0x00, 0x00, 0x01, // lastOffsetDelta 1
        0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // baseTimestamp: the first record's, 1700000000000
        0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // maxTimestamp: still the first record's
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // producerId -1
        0xFF, 0xFF, // producerEpoch -1
        0xFF, 0xFF, 0xFF, 0xFF, // baseSequence -1
        0x00, 0x00, 0x00, 0x02, // recordCount 2
        // record 0: key "k", value "v1", header h = "x"
        0x1A, // length 13 (zigzag 26)
        0x00, // attributes
        0x00, // timestampDelta 0
        0x00, // offsetDelta 0
        0x02, 0x6B, // keyLength 1, "k"
        0x04, 0x76, 0x31, // valueLength 2, "v1"
        0x02, // headersCount 1
        0x02, 0x68, // header keyLength 1, "h"
        0x02, 0x78, // header valueLength 1, "x"
        // record 1: 3 ms before the first, empty key, null value, header n = null
        0x12, // length 9 (zigzag 18)
        0x00, // attributes
        0x05, // timestampDelta -3 (zigzag 5)
        0x02, // offsetDelta 1
        0x00, // keyLength 0: empty key, not null
        0x01, // valueLength -1: null value
        0x02, // headersCount 1
        0x02, 0x6E, // header keyLength 1, "n"
        0x01, // header valueLength -1: null
    ];

    public static TheoryData<byte[]> Goldens => new() { _oneRecord, _twoRecords };

    [Theory]
    [MemberData(nameof(Goldens))]
    public void Golden_CrcField_MatchesBitwiseReference(byte[] golden)
    {
        var crcField = BinaryPrimitives.ReadUInt32BigEndian(golden.AsSpan(RecordBatchLayout.CrcOffset));

        Assert.Equal(ReferenceCrc32C.Compute(golden.AsSpan(RecordBatchLayout.AttributesOffset)), crcField);
    }

    [Fact]
    public void Build_OneRecordNullKey_ProducesGoldenBytes()
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>());
        builder.Append(Timestamp, key: null, "a"u8.ToArray());

        var batch = builder.Build();

        Assert.Equal(_oneRecord, batch.ToArray());
        Assert.Equal(_oneRecord.Length, builder.EstimatedSizeInBytes);
    }

    [Fact]
    public void Build_TwoRecordsWithHeaders_ProducesGoldenBytes()
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>(), CompressionType.None);
        builder.Append(Timestamp, "k"u8.ToArray(), "v1"u8.ToArray(), [new RecordHeader("h", "x"u8.ToArray())]);
        builder.Append(Timestamp - 3, [], value: null, [new RecordHeader("n", null)]);

        var batch = builder.Build();

        Assert.Equal(_twoRecords, batch.ToArray());
    }

    [Fact]
    public void ReadRecords_OneRecordGolden_DecodesNullKeyAndValue()
    {
        var record = Assert.Single(RecordBatchReader.ReadRecords(_oneRecord));

        Assert.Equal(0, record.Offset);
        Assert.Equal(Timestamp, record.Timestamp);
        Assert.Null(record.Key);
        Assert.Equal("a"u8.ToArray(), record.Value);
        Assert.Empty(record.Headers);
    }

    [Fact]
    public void ReadRecords_TwoRecordsGolden_DecodesEveryField()
    {
        var records = RecordBatchReader.ReadRecords(_twoRecords);

        Assert.Equal(2, records.Count);
        Assert.Equal(0, records[0].Offset);
        Assert.Equal(Timestamp, records[0].Timestamp);
        Assert.Equal("k"u8.ToArray(), records[0].Key);
        Assert.Equal("v1"u8.ToArray(), records[0].Value);
        var header = Assert.Single(records[0].Headers);
        Assert.Equal("h", header.Key);
        Assert.Equal("x"u8.ToArray(), header.Value);

        Assert.Equal(1, records[1].Offset);
        Assert.Equal(Timestamp - 3, records[1].Timestamp);
        Assert.NotNull(records[1].Key);
        Assert.Empty(records[1].Key!);
        Assert.Null(records[1].Value);
        var nullHeader = Assert.Single(records[1].Headers);
        Assert.Equal("n", nullHeader.Key);
        Assert.Null(nullHeader.Value);
    }

    [Fact]
    public void ReadRecords_StampedBaseOffset_OffsetsFollowIt()
    {
        var batch = _twoRecords.ToArray();
        RecordBatchHeader.StampLeaderFields(batch, baseOffset: 1000, partitionLeaderEpoch: 4);

        var records = RecordBatchReader.ReadRecords(batch);

        Assert.Equal([1000L, 1001L], records.Select(r => r.Offset));
    }
}
