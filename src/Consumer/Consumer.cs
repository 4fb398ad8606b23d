using System.Runtime.CompilerServices;
using LogCluster.Client;
using LogCluster.Client.Cluster;
using LogCluster.Client.Threading;
using LogCluster.Client.Transport;
using LogCluster.Consumer.Internals;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Consumer;

/// <summary>
/// The consumer: the application takes chunks the <see cref="Fetcher"/> queued, record by record, and each
/// record moves its partition's position. A chunk fetched for a position that moved since (a seek, a new
/// assignment) is dropped when it comes up. Fetches and heartbeats run on the consumer's own thread
/// (<see cref="ConsumerLoop"/>) and the connections' threads; the application's code (deserializers, rebalance
/// handlers, the continuations of its awaits) runs on its own threads or the thread pool, never on those.
/// </summary>
internal sealed partial class Consumer<TKey, TValue> : IConsumer<TKey, TValue>
{
    private readonly ConsumerConfig _config;
    private readonly IDeserializer<TKey> _keys;
    private readonly IDeserializer<TValue> _values;
    private readonly ClusterMetadata _metadata;
    private readonly Assignment _assignment = new();
    private readonly ReadySignal _ready = new();
    private readonly WakeSignal _wakeLoop = new();
    private readonly Fetcher _fetcher;
    private readonly ConsumerLoop _loop;
    private readonly TimeProvider _time;
    private readonly ConsumerMetrics _metrics;
    private FetchedChunk? _current;
    private LogClusterException? _pendingError;
    private int _disposed;

    /// <param name="config">The validated configuration.</param>
    /// <param name="keys">The key deserializer.</param>
    /// <param name="values">The value deserializer.</param>
    /// <param name="handlers">The rebalance handlers.</param>
    /// <param name="time">
    /// The clock. <see cref="TimeProvider.System"/> becomes <see cref="DedicatedTimeProvider.Shared"/>: the same
    /// clock, with timers (retry backoff, request timeouts) that fire on the SDK's timer thread, not the pool.
    /// </param>
    public Consumer(ConsumerConfig config, IDeserializer<TKey> keys, IDeserializer<TValue> values, RebalanceHandlers<TKey, TValue> handlers, TimeProvider time)
    {
        _config = config;
        _keys = keys;
        _values = values;
        _handlers = handlers;
        _time = time = time == TimeProvider.System ? DedicatedTimeProvider.Shared : time;
        // Its calls complete inline on the connections' threads: the consumer's code after their awaits only takes
        // short locks and queues, and hands the application tasks of its own (see SdkTasks).
        _metadata = new ClusterMetadata(config.BootstrapEndpoints(), config.MetadataMaxAge, config.RequestTimeout, time);
        _group = config.GroupId is { } groupId ? new GroupClient(groupId, config, _metadata, time) : null;
        _lastAutoCommit = time.GetTimestamp();
        _metrics = new ConsumerMetrics(config.ClientId, Lags);
        _fetcher = new Fetcher(config, _metadata, _assignment, _ready, _wakeLoop, _group, _metrics, time);
        _loop = new ConsumerLoop(config.ClientId, _fetcher, () => _membership, _wakeLoop, time, config.RetryBackoff);
    }

    public IReadOnlyList<TopicPartition> Assignment
    {
        get
        {
            lock (_assignment.Lock)
            {
                return [.. _assignment.Partitions.Keys];
            }
        }
    }

    public void Assign(IEnumerable<TopicPartition> partitions) => Assign(partitions.Select(p => new TopicPartitionOffset(p, Offsets.Unset)));

    public void Assign(IEnumerable<TopicPartitionOffset> partitions)
    {
        if (_membership is not null)
        {
            throw new InvalidOperationException("this consumer subscribed: the group assigns its partitions; Unsubscribe first to assign them yourself");
        }
        SetAssignment(partitions);
    }

    /// <summary>Replaces the assignment. A partition given without an offset that was already assigned keeps its position.</summary>
    private void SetAssignment(IEnumerable<TopicPartitionOffset> partitions)
    {
        var starts = partitions.ToDictionary(p => p.TopicPartition, p => StartOf(p.TopicPartition, p.Offset));
        lock (_assignment.Lock)
        {
            var previous = _assignment.Partitions.ToDictionary();
            _assignment.Partitions.Clear();
            foreach (var (partition, offset) in starts)
            {
                _assignment.Partitions[partition] = offset == Offsets.Unset && previous.TryGetValue(partition, out var kept) ? kept : new PartitionState(partition, offset);
            }
            // A chunk of a partition that stays is still being handed out: dropping it would skip its rest.
            if (_current is { } current && !_assignment.IsCurrent(current))
            {
                _current = null;
            }
        }
        _fetcher.Wake();
    }

    public void Unassign() => SetAssignment([]);

    public void Seek(TopicPartitionOffset position)
    {
        var offset = StartOf(position.TopicPartition, position.Offset);
        lock (_assignment.Lock)
        {
            State(position.TopicPartition).Seek(offset);
        }
        _fetcher.Wake();
    }

    public long Position(TopicPartition partition)
    {
        lock (_assignment.Lock)
        {
            var position = State(partition).Position;
            return position >= 0 ? position : Offsets.Unset;
        }
    }

    /// <summary>
    /// Waits on the calling thread, woken directly by the thread that queues a chunk or takes a new assignment
    /// (never through the thread pool), so it returns promptly also when every pool thread is blocked.
    /// </summary>
    public ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout)
    {
        var infinite = timeout == Timeout.InfiniteTimeSpan;
        if (!infinite)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        }
        ThrowIfClosedOrFailed();
        var started = _time.GetTimestamp();
        while (true)
        {
            // Read before looking: a chunk, an assignment or a close that comes after this ends the wait below.
            var seen = _ready.Version;
            ThrowIfClosed();
            ApplyGroupAssignmentAsync(sync: true).GetAwaiter().GetResult();
            AutoCommitIfDue();
            if (TryTakeBuffered() is { } result)
            {
                return result;
            }
            var remaining = infinite ? timeout : timeout - _time.GetElapsedTime(started);
            if (!infinite && remaining <= TimeSpan.Zero)
            {
                return null;
            }
            // Monitor.Wait takes at most int.MaxValue ms: a longer wait is several.
            _ready.Wait(seen, remaining < TimeSpan.FromHours(1) ? remaining : TimeSpan.FromHours(1));
        }
    }

    public async Task<ConsumeResult<TKey, TValue>> ConsumeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosedOrFailed();
        while (true)
        {
            // Read before looking: a chunk, an assignment or a close that comes after this ends the wait below.
            var seen = _ready.Version;
            ThrowIfClosed();
            await ApplyGroupAssignmentAsync(sync: false).ConfigureAwait(false);
            AutoCommitIfDue();
            if (TryTakeBuffered() is { } result)
            {
                return result;
            }
            await _ready.WaitAsync(seen, cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfClosedOrFailed()
    {
        ThrowIfClosed();
        if (Interlocked.Exchange(ref _pendingError, null) is { } pending)
        {
            throw pending;
        }
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    public async Task<IReadOnlyList<ConsumeResult<TKey, TValue>>> ConsumeBatchAsync(CancellationToken cancellationToken = default)
    {
        var batch = new List<ConsumeResult<TKey, TValue>> { await ConsumeAsync(cancellationToken).ConfigureAwait(false) };
        try
        {
            while (batch.Count < _config.MaxPollRecords && TryTakeBuffered() is { } next)
            {
                batch.Add(next);
            }
        }
        catch (LogClusterException e)
        {
            // The records before it are handed out now; the error comes with the next call, as Consume would throw it.
            _pendingError = e;
        }
        return batch;
    }

    /// <summary>The next record already fetched, or null when none is buffered; throws the error a chunk carries.</summary>
    private ConsumeResult<TKey, TValue>? TryTakeBuffered()
    {
        while (true)
        {
            if (_current is { } chunk && TryTake(chunk) is { } result)
            {
                return result;
            }
            _current = null;
            FetchedChunk? next;
            lock (_assignment.Lock)
            {
                if (!_assignment.Chunks.TryDequeue(out next))
                {
                    return null;
                }
                if (!_assignment.IsCurrent(next))
                {
                    continue;
                }
                // Taken: the fetcher may fetch the partition's next chunk while this one is handed out.
                next.Partition.Buffered--;
            }
            _fetcher.Wake();
            if (next.Error is { } error)
            {
                throw error;
            }
            _current = next;
        }
    }

    public async IAsyncEnumerable<ConsumeResult<TKey, TValue>> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            yield return await ConsumeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The chunk's next record, or null when the chunk is used up or stale.</summary>
    private ConsumeResult<TKey, TValue>? TryTake(FetchedChunk chunk)
    {
        Record record;
        lock (_assignment.Lock)
        {
            if (!_assignment.IsCurrent(chunk))
            {
                return null;
            }
            while (chunk.Next < chunk.Records.Count && chunk.Records[chunk.Next].Offset < chunk.Partition.Position)
            {
                chunk.Next++;
            }
            if (chunk.Next >= chunk.Records.Count)
            {
                return null;
            }
            record = chunk.Records[chunk.Next];
        }
        var result = Deserialize(chunk.Partition.Partition, record);
        lock (_assignment.Lock)
        {
            if (_assignment.IsCurrent(chunk))
            {
                chunk.Next++;
                chunk.Partition.Position = record.Offset + 1;
            }
        }
        _metrics.Consumed(result.Topic, (record.Key?.Length ?? 0) + (record.Value?.Length ?? 0));
        return result;
    }

    private ConsumeResult<TKey, TValue> Deserialize(TopicPartition partition, Record record)
    {
        try
        {
            var result = new ConsumeResult<TKey, TValue>(
                partition,
                record.Offset,
                _keys.Deserialize(record.Key, new DeserializationContext(partition.Topic, IsKey: true)),
                _values.Deserialize(record.Value, new DeserializationContext(partition.Topic, IsKey: false)),
                record.Headers,
                DateTimeOffset.FromUnixTimeMilliseconds(record.Timestamp))
            {
                TraceContext = ConsumerTracing.ProducerContext(record.Headers),
            };
            ConsumerTracing.Received(result.TraceContext, partition, record.Offset, _config.GroupId);
            return result;
        }
        catch (Exception e) when (e is not LogClusterException)
        {
            throw new LogClusterException(ErrorCode.LocalSerialization, $"{partition} offset {record.Offset} does not deserialize: {e.Message}", e);
        }
    }

    /// <summary>An offset to start at: Unset stays (the group's committed offset) in a group, else becomes what auto.offset.reset says.</summary>
    private long StartOf(TopicPartition partition, long offset) => offset switch
    {
        >= 0 or Offsets.Beginning or Offsets.End => offset,
        Offsets.Unset when _group is not null => offset,
        Offsets.Unset => _config.AutoOffsetReset switch
        {
            AutoOffsetReset.Earliest => Offsets.Beginning,
            AutoOffsetReset.Latest => Offsets.End,
            _ => throw new ArgumentException(
                $"{partition} has no offset and auto.offset.reset=none: give an offset, Offsets.Beginning or Offsets.End"),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{partition}: an offset is >= 0 or one of Offsets.Beginning, End, Unset"),
    };

    /// <summary>Per assigned partition with a known position and high watermark: how far behind the log end it reads.</summary>
    private List<(TopicPartition, long)> Lags()
    {
        lock (_assignment.Lock)
        {
            return [.. _assignment.Partitions.Values.Where(s => s.Position >= 0 && s.HighWatermark >= 0).Select(s => (s.Partition, Math.Max(0, s.HighWatermark - s.Position)))];
        }
    }

    private PartitionState State(TopicPartition partition) => _assignment.Partitions.TryGetValue(partition, out var state)
        ? state
        : throw new InvalidOperationException($"{partition} is not assigned to this consumer");

    public void Dispose() => CloseAsync(sync: true).GetAwaiter().GetResult();

    public ValueTask DisposeAsync() => new(CloseAsync(sync: false));

    /// <summary>
    /// In a group: commits the positions (with enable.auto.commit) and leaves, so the partitions move at once. Then
    /// stops fetching. <paramref name="sync"/>: Dispose, which blocks its thread and needs no pool thread meanwhile.
    /// </summary>
    private async Task CloseAsync(bool sync)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // A Consume blocked on another thread (a shutdown path with no other way to reach it) wakes and throws
        // ObjectDisposedException instead of waiting for records that will never come.
        _ready.Set();
        try
        {
            await CloseGroupAsync(sync).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Closing goes on whatever leaving the group met: the fetcher must stop and the resources go.
        }
        _loop.Stop();
        await SdkTasks.WaitAsync(_loop.Stopped, sync).ConfigureAwait(false);
        _loop.Dispose();
        _metrics.Dispose();
        _metadata.Dispose();
    }
}
