using LogCluster.Client;
using LogCluster.Client.Cluster;
using LogCluster.Client.Threading;
using LogCluster.Client.Transport;
using LogCluster.Producer.Internals;
using LogCluster.Producer.Partitioning;
using LogCluster.Protocol.V1;

namespace LogCluster.Producer;

/// <summary>
/// The producer: Send serializes, picks the partition, reserves buffer memory, appends to the accumulator and
/// returns the record's task; the <see cref="Sender"/> loop sends; each batch's <see cref="DeliveryFlow"/>
/// retries; the <see cref="CompletionDispatcher"/> completes records in order. Built by <see cref="ProducerBuilder{TKey, TValue}"/>.
/// </summary>
internal sealed partial class Producer<TKey, TValue> : IProducer<TKey, TValue>
{
    private readonly ProducerConfig _config;
    private readonly ISerializer<TKey> _keySerializer;
    private readonly ISerializer<TValue> _valueSerializer;
    private readonly TimeProvider _time;
    private readonly ClusterMetadata _metadata;
    private readonly IPartitioner _partitioner;
    private readonly MemoryBudget _memory;
    private readonly RecordAccumulator _accumulator;
    private readonly WakeSignal _wake = new();
    private readonly Sender _sender;
    private readonly DeliveryFlow _delivery;
    private readonly CompletionDispatcher _completions;
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _senderLoop;
    private int _closed;

    public Producer(ProducerConfig config, ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer, TimeProvider time)
    {
        _config = config;
        _keySerializer = keySerializer;
        _valueSerializer = valueSerializer;
        // Timers on the SDK's timer thread, not the pool's, unless a test brings its own clock.
        _time = time = time == TimeProvider.System ? DedicatedTimeProvider.Shared : time;
        _metadata = new ClusterMetadata(config.BootstrapEndpoints(), config.MetadataMaxAge, config.RequestTimeout, time) { SocketFactory = config.SocketFactory };
        _partitioner = PartitionerFactory.Create(config.Partitioner, config.BatchSize);
        _memory = new MemoryBudget(config.BufferMemory, time);
        _accumulator = new RecordAccumulator(config.CompressionType, config.BatchSize, time);
        var identity = config.IsIdempotent ? new ProducerIdentity(_metadata, time, config.RetryBackoff, _wake.Set, _abort.Token) : null;
        identity?.Start();
        _sender = new Sender(config, _accumulator, _metadata, time, _wake, identity);
        _delivery = new DeliveryFlow(config, _accumulator, time, _wake.Set, _metadata.Invalidate);
        _completions = new CompletionDispatcher($"logcluster-producer-{config.ClientId}-completions");
        _senderLoop = StartSenderThread($"logcluster-producer-{config.ClientId}-sender");
    }

    /// <summary>The sender loop on a thread of its own: it must run while every pool thread is blocked in a sync send.</summary>
    private Task StartSenderThread(string name)
    {
        // Completed synchronously: only close waits on it, and a blocking Dispose() must not need the pool.
        var stopped = new TaskCompletionSource();
        new Thread(() =>
        {
            try
            {
                _sender.Run(_abort.Token);
                stopped.SetResult();
            }
            catch (Exception e)
            {
                stopped.SetException(e);
            }
        })
        { IsBackground = true, Name = name }.Start();
        return stopped.Task;
    }

    public Task<RecordMetadata> Send(ProducerRecord<TKey, TValue> record, CancellationToken cancellationToken = default) =>
        Submit(record, callback: null, cancellationToken).Pending.Completion.Task;

    /// <summary>
    /// As Kafka's send: returns once the record is queued, blocking while it waits for metadata or for
    /// buffer.memory (up to max.block.ms); the outcome reaches the callback.
    /// </summary>
    public void Send(ProducerRecord<TKey, TValue> record, Action<RecordMetadata?, LogClusterException?> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var admission = Submit(record, callback, CancellationToken.None);
        admission.Admitted.Task.GetAwaiter().GetResult();
    }

    /// <summary>Serializes and sizes the record, then admits it; every failure completes the record (task and callback).</summary>
    private Admission Submit(ProducerRecord<TKey, TValue> record, Action<RecordMetadata?, LogClusterException?>? callback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        var timestamp = record.Timestamp ?? _time.GetUtcNow().ToUnixTimeMilliseconds();
        byte[]? key = null, value = null;
        LogClusterException? failure = null;
        var size = 0;
        var headers = ProducerTracing.WithTraceContext(record.Topic, record.Headers);
        try
        {
            key = Serialize(_keySerializer, record.Key, record.Topic, isKey: true);
            value = Serialize(_valueSerializer, record.Value, record.Topic, isKey: false);
            size = EstimateSize(key, value, headers);
            if (size > _config.MaxRequestSize)
            {
                failure = new LogClusterException(ErrorCode.MessageTooLarge, $"the record is about {size} bytes, larger than max.request.size ({_config.MaxRequestSize})");
            }
        }
        catch (LogClusterException e)
        {
            failure = e;
        }
        var admission = new Admission(
            new PendingRecord(key, value, headers, timestamp, size, callback),
            record.Topic,
            record.Partition,
            record.DeliveryTimeout ?? _config.DeliveryTimeout,
            _time.GetTimestamp() + (long)(_config.MaxBlock.TotalSeconds * _time.TimestampFrequency),
            cancellationToken);
        if (failure is not null)
        {
            Reject(admission, failure);
        }
        else
        {
            Admit(admission);
        }
        return admission;
    }

    private void Enqueue(PartitionKey partition, PendingRecord pending, TimeSpan deliveryTimeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp() + (long)(deliveryTimeout.TotalSeconds * _time.TimestampFrequency);
        if (_accumulator.Append(partition, pending, deadline) is { } started)
        {
            _ = DeliverAsync(started);
            _wake.Set();
        }
        else if (pending.Batch!.IsFull)
        {
            _wake.Set();
        }
        if (deliveryTimeout < _config.DeliveryTimeout)
        {
            // A shorter per-send deadline than its batch's: this record gives up on its own.
            pending.DeadlineTimer = _time.CreateTimer(_ => Expire(pending), null, deliveryTimeout, Timeout.InfiniteTimeSpan);
        }
        if (cancellationToken.CanBeCanceled)
        {
            pending.Cancellation = cancellationToken.Register(() => Cancel(pending, cancellationToken));
        }
    }

    /// <summary>Before the record is sent, cancelling removes it; afterwards it only stops the caller's wait.</summary>
    private void Cancel(PendingRecord pending, CancellationToken token)
    {
        if (_accumulator.TryRemove(pending))
        {
            _memory.Release(pending.ReservedBytes);
        }
        // Possibly on an SDK thread (a token cancelled before the record was queued runs this at registration).
        pending.TryFinish(null, new OperationCanceledException(token), _completions.Run);
    }

    private void Expire(PendingRecord pending)
    {
        var removed = _accumulator.TryRemove(pending);
        if (removed)
        {
            _memory.Release(pending.ReservedBytes);
        }
        // On the SDK's timer thread: the callback goes to the completion thread.
        pending.TryFinish(null, new LogClusterException(ErrorCode.LocalMessageTimedOut, removed
            ? "the record's delivery timeout passed before it was sent"
            : "the record's delivery timeout passed while it was in flight; it may have been written"), _completions.Run);
    }
}
