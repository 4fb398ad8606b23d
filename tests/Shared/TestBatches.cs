using System.Buffers;
using System.Text;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.Records;

namespace LogCluster.Tests;

/// <summary>RecordBatch v2 batches for tests, built with the real codec. Values name their batch and record.</summary>
internal static class TestBatches
{
    public static byte[] Make(int batchNumber, int records = 3, int valueBytes = 32, CompressionType compression = CompressionType.None, long timestamp = 1_700_000_000_000)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var builder = new RecordBatchBuilder(buffer, compression);
        for (var r = 0; r < records; r++)
        {
            var value = Encoding.UTF8.GetBytes($"batch-{batchNumber}-record-{r}-".PadRight(valueBytes, 'x'));
            builder.Append(timestamp + r, Encoding.UTF8.GetBytes($"key-{r}"), value);
        }
        return builder.Build().ToArray();
    }

    /// <summary>An idempotent producer's batch: producer id, epoch and the sequence of its first record.</summary>
    public static byte[] MakeIdempotent(long producerId, short epoch, int baseSequence, int records = 3)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var builder = new RecordBatchBuilder(buffer, CompressionType.None) { Producer = new BatchProducer(producerId, epoch, baseSequence) };
        for (var r = 0; r < records; r++)
        {
            builder.Append(1_700_000_000_000 + r, key: null, Encoding.UTF8.GetBytes($"p{producerId}-e{epoch}-s{baseSequence + r}"));
        }
        return builder.Build().ToArray();
    }

    /// <summary>The bytes a leader stores for <paramref name="sent"/>: base offset and leader epoch stamped.</summary>
    public static byte[] AsStored(byte[] sent, long baseOffset, int leaderEpoch = 0)
    {
        var stored = (byte[])sent.Clone();
        RecordBatchHeader.StampLeaderFields(stored, baseOffset, leaderEpoch);
        return stored;
    }

    /// <summary>Splits concatenated batches (a fetch response) into arrays.</summary>
    public static List<byte[]> Split(ReadOnlyMemory<byte> batches) =>
        [.. RecordBatchReader.SplitBatches(batches).Select(b => b.ToArray())];
}
