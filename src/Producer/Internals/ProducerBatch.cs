using System.Buffers;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.Records;

namespace LogCluster.Producer.Internals;

/// <summary>
/// The records of one partition that travel together, encoded in place as they arrive into one RecordBatch v2
/// buffer. Owned by its partition queue (under that queue's lock) until drained; after that only the sender
/// and the batch's delivery flow touch it. Its bytes are built once, at drain, and resent unchanged on retry.
/// </summary>
internal sealed class ProducerBatch
{
    private readonly CompressionType _compression;
    private readonly int _batchSize;
    private ArrayBufferWriter<byte> _buffer;
    private RecordBatchBuilder _builder;

    public ProducerBatch(PartitionKey partition, CompressionType compression, int batchSize, long createdTimestamp, ArrayBufferWriter<byte> buffer)
    {
        Partition = partition;
        _compression = compression;
        _batchSize = batchSize;
        CreatedTimestamp = createdTimestamp;
        _buffer = buffer;
        _builder = new RecordBatchBuilder(buffer, compression);
    }

    public PartitionKey Partition { get; }

    public List<PendingRecord> Records { get; } = [];

    /// <summary>TimeProvider timestamp of the first record: linger counts from here.</summary>
    public long CreatedTimestamp { get; }

    /// <summary>TimeProvider timestamp after which the batch is abandoned (the latest of its records' deadlines).</summary>
    public long DeadlineTimestamp { get; private set; }

    /// <summary>Set once the sender took it: no more appends, no more removals.</summary>
    public bool IsDrained { get; private set; }

    public bool IsFull { get; private set; }

    /// <summary>The outcome of the current attempt; completed by the node connection, renewed for each retry.</summary>
    public TaskCompletionSource<AttemptResult> Attempt { get; private set; } = NewAttempt();

    /// <summary>Completed once every record of the batch has its outcome (flush waits on it).</summary>
    public TaskCompletionSource Resolved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled at the batch's deadline (the latest of its records' delivery timeouts).</summary>
    public CancellationTokenSource? Deadline { get; set; }

    public void BeginRetry() => Attempt = NewAttempt();

    private static TaskCompletionSource<AttemptResult> NewAttempt() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The encoded batch, set at drain.</summary>
    public ReadOnlyMemory<byte> Bytes { get; private set; }

    public int EstimatedBytes => _builder.EstimatedSizeInBytes;

    public ArrayBufferWriter<byte> Buffer => _buffer;

    /// <summary>Adds the record unless the batch would pass batch.size (a first record always fits).</summary>
    public bool TryAppend(PendingRecord record, long deadlineTimestamp)
    {
        if (Records.Count > 0 && EstimatedBytes + record.ReservedBytes > _batchSize)
        {
            IsFull = true;
            return false;
        }
        _builder.Append(record.Timestamp, record.Key, record.Value, record.Headers);
        Records.Add(record);
        record.Batch = this;
        DeadlineTimestamp = Math.Max(DeadlineTimestamp, deadlineTimestamp);
        IsFull = EstimatedBytes >= _batchSize;
        return true;
    }

    /// <summary>Takes a record out of an undrained batch by encoding the others again (cancellation and per-record deadlines: rare).</summary>
    public void Remove(PendingRecord record)
    {
        Records.Remove(record);
        _buffer.ResetWrittenCount();
        _builder = new RecordBatchBuilder(_buffer, _compression);
        foreach (var kept in Records)
        {
            _builder.Append(kept.Timestamp, kept.Key, kept.Value, kept.Headers);
        }
        IsFull = EstimatedBytes >= _batchSize;
    }

    /// <summary>Closes the batch for appends and encodes its header and CRC.</summary>
    public ReadOnlyMemory<byte> Drain()
    {
        IsDrained = true;
        Bytes = _builder.Build();
        return Bytes;
    }

    /// <summary>Gives the buffer back for reuse once nothing can read the bytes any more.</summary>
    public ArrayBufferWriter<byte> ReleaseBuffer()
    {
        var buffer = _buffer;
        _buffer = null!;
        Bytes = default;
        return buffer;
    }
}
