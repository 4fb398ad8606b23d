using System.Buffers;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;
using Record = LogCluster.Protocol.Records.Record; // Xunit.Record has the same simple name

namespace LogCluster.Tests.Unit.Protocol;

/// <summary>
/// Seeded property tests: every assertion message names the seed and codec, so a failure replays with
/// <c>new Random(seed)</c>.
/// </summary>
public class RecordBatchRoundTripTests
{
    private const int Seeds = 200;

    public static TheoryData<CompressionType> AllCompressionTypes => new(Enum.GetValues<CompressionType>());

    [Theory]
    [MemberData(nameof(AllCompressionTypes))]
    public void Build_RandomRecords_ReadRecordsReturnsThem(CompressionType compression)
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var expected = RandomRecords(random);
            var context = $"seed {seed}, {compression}";

            var batch = BuildBatch(expected, compression);
            var validation = BatchValidation.Validate(batch.Span);
            var actual = RecordBatchReader.ReadRecords(batch.Span);

            Assert.True(validation.IsValid, $"{context}: {validation.Error} {validation.Message}");
            Assert.True(validation.Header.Compression == compression, $"{context}: header says {validation.Header.Compression}");
            Assert.True(expected.Count == actual.Count, $"{context}: {actual.Count} records, expected {expected.Count}");
            for (var i = 0; i < expected.Count; i++)
            {
                AssertSameRecord(expected[i], actual[i], $"{context}, record {i}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllCompressionTypes))]
    public void Validate_AnySingleByteFlippedAfterCrcField_ReturnsCorruptMessage(CompressionType compression)
    {
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var batch = BuildBatch(RandomRecords(random), compression).ToArray();
            var position = random.Next(RecordBatchLayout.AttributesOffset, batch.Length);
            batch[position] ^= (byte)random.Next(1, 256);

            var validation = BatchValidation.Validate(batch);
            var thrown = Assert.Throws<CorruptBatchException>(() => RecordBatchReader.ReadRecords(batch));

            var context = $"seed {seed}, {compression}, byte {position} of {batch.Length}";
            Assert.True(validation.Error == ErrorCode.CorruptMessage, $"{context}: {validation.Error} {validation.Message}");
            Assert.True(thrown.ErrorCode == ErrorCode.CorruptMessage, $"{context}: reader threw {thrown.ErrorCode}");
        }
    }

    [Theory]
    [MemberData(nameof(AllCompressionTypes))]
    public void Build_ProducerFields_AreWrittenToTheHeader(CompressionType compression)
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>(), compression, isTransactional: true)
        {
            Producer = new BatchProducer(ProducerId: 42, ProducerEpoch: 3, BaseSequence: 7),
        };
        builder.Append(100, null, [1]);
        builder.Append(250, null, [2]);
        builder.Append(200, null, [3]);

        var header = RecordBatchHeader.Read(builder.Build().Span);

        Assert.Equal(0, header.BaseOffset);
        Assert.Equal(-1, header.PartitionLeaderEpoch);
        Assert.Equal(compression, header.Compression);
        Assert.True(header.IsTransactional);
        Assert.False(header.IsControl);
        Assert.Equal(2, header.LastOffsetDelta);
        Assert.Equal(100, header.BaseTimestamp);
        Assert.Equal(250, header.MaxTimestamp);
        Assert.Equal(42, header.ProducerId);
        Assert.Equal((short)3, header.ProducerEpoch);
        Assert.Equal(7, header.BaseSequence);
        Assert.Equal(3, header.RecordCount);
    }

    [Theory]
    [MemberData(nameof(AllCompressionTypes))]
    public void RestampProducer_NewFieldsAndCrc_ReadBackValidWithTheSameRecords(CompressionType compression)
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>(), compression) { Producer = new BatchProducer(42, 3, 7) };
        builder.Append(100, [9], [1]);
        builder.Append(200, null, [2]);
        var batch = builder.Build().ToArray();
        var recordsBefore = RecordBatchReader.ReadRecords(batch).Select(r => (Convert.ToHexString(r.Key ?? []), Convert.ToHexString(r.Value ?? []))).ToList();

        RecordBatchHeader.RestampProducer(batch, new BatchProducer(43, 0, 0));

        var header = RecordBatchHeader.Read(batch);
        Assert.Equal((43L, (short)0, 0), (header.ProducerId, header.ProducerEpoch, header.BaseSequence));
        Assert.Equal(RecordBatchHeader.ComputeCrc(batch), header.Crc);
        Assert.Equal(recordsBefore, RecordBatchReader.ReadRecords(batch).Select(r => (Convert.ToHexString(r.Key ?? []), Convert.ToHexString(r.Value ?? []))).ToList());
    }

    [Fact]
    public void EstimatedSizeInBytes_Uncompressed_EqualsBuiltSize()
    {
        var random = new Random(3);
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>());
        foreach (var record in RandomRecords(random))
        {
            builder.Append(record.Timestamp, record.Key, record.Value, record.Headers);
        }
        var estimate = builder.EstimatedSizeInBytes;

        Assert.Equal(estimate, builder.Build().Length);
    }

    private static ReadOnlyMemory<byte> BuildBatch(List<Record> records, CompressionType compression)
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>(), compression);
        foreach (var record in records)
        {
            builder.Append(record.Timestamp, record.Key, record.Value, record.Headers);
        }
        Assert.Equal(records.Count, builder.RecordCount);
        return builder.Build();
    }

    /// <summary>1..50 records with offsets 0..n-1 and null, empty, random or repetitive keys, values and headers.</summary>
    private static List<Record> RandomRecords(Random random)
    {
        var count = random.Next(1, 51);
        var baseTimestamp = random.NextInt64(0, 4_000_000_000_000);
        var records = new List<Record>(count);
        for (var offset = 0; offset < count; offset++)
        {
            var headers = new RecordHeader[random.Next(0, 4)];
            for (var i = 0; i < headers.Length; i++)
            {
                headers[i] = new RecordHeader(RandomKey(random), RandomBytes(random, 64));
            }
            var timestamp = baseTimestamp + random.NextInt64(-100_000, 100_000);
            records.Add(new Record(offset, timestamp, RandomBytes(random, 2048), RandomBytes(random, 2048), headers));
        }
        return records;
    }

    private static byte[]? RandomBytes(Random random, int maxLength)
    {
        switch (random.Next(4))
        {
            case 0:
                return null;
            case 1:
                return [];
            case 2:
                var noise = new byte[random.Next(1, maxLength + 1)];
                random.NextBytes(noise);
                return noise;
            default:
                // Compressible: a few distinct bytes, so codecs actually shrink something.
                var text = new byte[random.Next(1, maxLength + 1)];
                for (var i = 0; i < text.Length; i++)
                {
                    text[i] = (byte)('a' + random.Next(4));
                }
                return text;
        }
    }

    private static string RandomKey(Random random)
    {
        // Includes non-ASCII characters so the UTF-8 length differs from the string length.
        const string Alphabet = "abcxyz-_.é€😀";
        var chars = new char[random.Next(0, 12)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[random.Next(Alphabet.Length - 2)];
        }
        return random.Next(4) == 0 ? new string(chars) + "😀" : new string(chars);
    }

    private static void AssertSameRecord(Record expected, Record actual, string context)
    {
        Assert.True(expected.Offset == actual.Offset, $"{context}: offset {actual.Offset}, expected {expected.Offset}");
        Assert.True(expected.Timestamp == actual.Timestamp, $"{context}: timestamp {actual.Timestamp}, expected {expected.Timestamp}");
        AssertSameBytes(expected.Key, actual.Key, $"{context}, key");
        AssertSameBytes(expected.Value, actual.Value, $"{context}, value");
        Assert.True(expected.Headers.Count == actual.Headers.Count, $"{context}: {actual.Headers.Count} headers, expected {expected.Headers.Count}");
        for (var i = 0; i < expected.Headers.Count; i++)
        {
            Assert.True(expected.Headers[i].Key == actual.Headers[i].Key, $"{context}, header {i}: key '{actual.Headers[i].Key}'");
            AssertSameBytes(expected.Headers[i].Value, actual.Headers[i].Value, $"{context}, header {i} value");
        }
    }

    private static void AssertSameBytes(byte[]? expected, byte[]? actual, string context)
    {
        var same = expected is null ? actual is null : actual is not null && expected.AsSpan().SequenceEqual(actual);
        Assert.True(same, $"{context}: got {Describe(actual)}, expected {Describe(expected)}");
    }

    private static string Describe(byte[]? bytes) => bytes is null ? "null" : $"{bytes.Length} bytes";
}
