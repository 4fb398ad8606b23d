using System.Buffers;
using System.Runtime.InteropServices;
using LogCluster.Client.Tracing;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.Records;

namespace LogCluster.Producer.Internals;

/// <summary>
/// The records of one partition that travel together, encoded in place as they arrive into one RecordBatch v2
/// buffer. Mutable state changes under its partition queue's lock: appends and removals only while it is open;
/// <see cref="Drain"/> and <see cref="CloseUnsent"/> end that. Its bytes are built once, at the
/// first drain, and resent unchanged on retry. It is released exactly once, when its delivery is resolved.
/// </summary>
internal sealed class ProducerBatch
{
    private readonly CompressionType _compression;
    private readonly int _batchSize;
    private readonly TimeProvider _time;
    private ArrayBufferWriter<byte>? _buffer;
    private RecordBatchBuilder _builder;
    private int _released;

    public ProducerBatch(PartitionKey partition, long creationOrder, CompressionType compression, int batchSize, TimeProvider time, ArrayBufferWriter<byte> buffer)
    {
        Partition = partition;
        CreationOrder = creationOrder;
        _compression = compression;
        _batchSize = batchSize;
        _time = time;
        CreatedTimestamp = time.GetTimestamp();
        _buffer = buffer;
        _builder = new RecordBatchBuilder(buffer, compression);
        Deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    public PartitionKey Partition { get; }

    /// <summary>Creation order within the partition: completions are delivered, and retries queued, in this order.</summary>
    public long CreationOrder { get; }

    public List<PendingRecord> Records { get; } = [];

    /// <summary>The W3C context of the first traced record, sent with the batch so the node's span joins its trace.</summary>
    public string? TraceParent { get; private set; }

    /// <summary>TimeProvider timestamp of the first record: linger counts from here.</summary>
    public long CreatedTimestamp { get; }

    /// <summary>TimeProvider timestamp after which the batch is abandoned (the latest of its records' deadlines).</summary>
    public long DeadlineTimestamp { get; private set; }

    /// <summary>Cancelled at <see cref="DeadlineTimestamp"/>, or early when the batch lost all its records or the producer closed.</summary>
    public CancellationTokenSource Deadline { get; }

    /// <summary>No more appends or removals: drained once, or taken out of its queue unsent.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Sent at least once (so an outcome may exist on a node even if none arrives).</summary>
    public bool WasSent { get; private set; }

    /// <summary>An idempotent producer's id, epoch and base sequence for this batch, from its first drain; null before.</summary>
    public BatchProducer? Producer { get; set; }

    /// <summary>Drained, and its attempt has no outcome yet.</summary>
    public bool InFlight { get; set; }

    /// <summary>Its last attempt failed and it is not back in its queue yet (Polly's backoff, or giving up).</summary>
    public bool AwaitingRetry { get; set; }

    /// <summary>
    /// A node may hold it: in flight now, or an attempt ended without an answer (a broken connection, a timeout)
    /// and no node has said since that its sequence is missing. A refusal such as NOT_LEADER proves nothing about
    /// an earlier attempt, so only OUT_OF_ORDER_SEQUENCE_NUMBER clears it.
    /// </summary>
    public bool MayBeWritten => InFlight || OutcomeUnknown;

    /// <summary>An attempt since the last proof of absence ended without telling whether it was written.</summary>
    public bool OutcomeUnknown { get; set; }

    /// <summary>The produce stream its current attempt went out on (<see cref="NodeConnection.StreamId"/>).</summary>
    public long Stream { get; set; }

    /// <summary>Counted in its queue's <see cref="PartitionQueue.InDelivery"/> (drained and not requeued or resolved).</summary>
    public bool CountsInDelivery { get; set; }

    /// <summary>The producer is closing: resolve with LOCAL_DESTROYED rather than a timeout.</summary>
    public bool Destroyed { get; set; }

    public bool IsFull { get; private set; }

    /// <summary>The encoded batch, built at the first drain.</summary>
    public ReadOnlyMemory<byte> Bytes { get; private set; }

    public int EstimatedBytes => _builder.EstimatedSizeInBytes;

    /// <summary>The outcome of the current attempt; completed by the node connection, renewed for each retry.</summary>
    public TaskCompletionSource<AttemptResult> Attempt { get; private set; } = NewAttempt();

    /// <summary>
    /// Completed once every record of the batch has its outcome. Only the producer's flush and close wait on it, so
    /// it completes synchronously: a thread blocked in Flush(timeout) or Dispose() is woken by the SDK thread that
    /// resolved the last batch, with no thread-pool hop (FlushAsync and DisposeAsync hand their callers' code to the pool).
    /// </summary>
    public TaskCompletionSource Resolved { get; } = new();

    public void BeginRetry() => Attempt = NewAttempt();

    /// <summary>
    /// Continuations run inline on whoever completes the attempt (the response reader): the only continuation is
    /// the batch's own delivery flow, never user code (records complete on the completion thread), and running
    /// it inline saves a thread hop per acknowledgement.
    /// </summary>
    private static TaskCompletionSource<AttemptResult> NewAttempt() => new();

    /// <summary>Adds the record unless the batch would pass batch.size (a first record always fits). Caller holds the queue lock.</summary>
    public bool TryAppend(PendingRecord record, long deadlineTimestamp)
    {
        // A batch whose deadline fired is about to be resolved as timed out: a new record must not share that fate.
        if (IsClosed || Deadline.IsCancellationRequested || (Records.Count > 0 && EstimatedBytes + record.ReservedBytes > _batchSize))
        {
            IsFull = Records.Count > 0;
            return false;
        }
        _builder.Append(record.Timestamp, record.Key, record.Value, record.Headers);
        Records.Add(record);
        record.Batch = this;
        if (TraceParent is null && record.Headers.Count > 0)
        {
            TraceParent = TraceHeaders.Find(record.Headers, TraceHeaders.TraceParent);
        }
        if (deadlineTimestamp > DeadlineTimestamp)
        {
            DeadlineTimestamp = deadlineTimestamp;
            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadlineTimestamp);
            Deadline.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }
        IsFull = EstimatedBytes >= _batchSize;
        return true;
    }

    /// <summary>Takes a record out of an open batch by encoding the others again (cancellation, per-record deadlines: rare).</summary>
    public void Remove(PendingRecord record)
    {
        Records.Remove(record);
        _buffer!.ResetWrittenCount();
        _builder = new RecordBatchBuilder(_buffer, _compression);
        foreach (var kept in Records)
        {
            _builder.Append(kept.Timestamp, kept.Key, kept.Value, kept.Headers);
        }
        IsFull = EstimatedBytes >= _batchSize;
    }

    /// <summary>
    /// Closes the batch and, the first time, encodes its header and CRC; a retry resends the same bytes. A batch
    /// whose producer fields changed since (a new epoch after a gap) gets them written in and a new CRC.
    /// </summary>
    public ReadOnlyMemory<byte> Drain()
    {
        IsClosed = true;
        WasSent = true;
        InFlight = true;
        var producer = Producer ?? BatchProducer.None;
        if (Bytes.IsEmpty)
        {
            _builder.Producer = producer;
            Bytes = _builder.Build();
        }
        else if (RecordBatchHeader.Read(Bytes.Span).Producer != producer)
        {
            RecordBatchHeader.RestampProducer(MemoryMarshal.AsMemory(Bytes).Span, producer);
        }
        return Bytes;
    }

    /// <summary>Closes the batch without sending it (timed out in its queue, or the producer closed).</summary>
    public void CloseUnsent() => IsClosed = true;

    /// <summary>Hands the buffer back once; null on any later call.</summary>
    public ArrayBufferWriter<byte>? TryRelease()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return null;
        }
        var buffer = _buffer;
        _buffer = null;
        Bytes = default;
        return buffer;
    }
}
