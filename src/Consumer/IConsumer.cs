namespace LogCluster.Consumer;

/// <summary>
/// Reads records from assigned partitions, in offset order per partition. As Kafka's consumer it is used from
/// one thread at a time; fetching runs in the background, one partition chunk ahead of the application.
/// </summary>
public interface IConsumer<TKey, TValue> : IAsyncDisposable, IDisposable
{
    /// <summary>The partitions assigned now.</summary>
    IReadOnlyList<TopicPartition> Assignment { get; }

    /// <summary>
    /// Replaces the assignment. Each partition starts at its offset, or at <see cref="Offsets.Beginning"/> or
    /// <see cref="Offsets.End"/>; <see cref="Offsets.Unset"/> starts at the group's committed offset (with
    /// <c>group.id</c>), else where <c>auto.offset.reset</c> says.
    /// </summary>
    void Assign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Replaces the assignment; every partition starts at the committed offset, else where <c>auto.offset.reset</c> says.</summary>
    void Assign(IEnumerable<TopicPartition> partitions);

    /// <summary>Drops every partition.</summary>
    void Unassign();

    /// <summary>Moves an assigned partition's position: the next record consumed from it is at this offset (or a special <see cref="Offsets"/> value).</summary>
    void Seek(TopicPartitionOffset position);

    /// <summary>The offset of the next record Consume returns from the partition, or <see cref="Offsets.Unset"/> while its start is being looked up.</summary>
    long Position(TopicPartition partition);

    /// <summary>The topics subscribed to (empty when the consumer assigns its partitions itself).</summary>
    IReadOnlyList<string> Subscription { get; }

    /// <summary>
    /// Joins the consumer group (<c>group.id</c>) for these topics: the coordinator assigns the partitions and
    /// moves them when members come and go; the handlers given to the builder hear of it inside Consume.
    /// </summary>
    void Subscribe(IEnumerable<string> topics);

    /// <summary>Leaves the group (its partitions move to the other members at once) and drops every partition.</summary>
    void Unsubscribe();

    /// <summary>Commits the positions of every assigned partition (what Consume returned so far) for the group.</summary>
    void Commit();

    /// <summary>Commits these offsets (the next offset to read, one past the last record processed).</summary>
    void Commit(IEnumerable<TopicPartitionOffset> offsets);

    /// <inheritdoc cref="Commit()"/>
    Task CommitAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="Commit(IEnumerable{TopicPartitionOffset})"/>
    Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default);

    /// <summary>The group's committed offsets; <see cref="Offsets.Unset"/> for a partition without one.</summary>
    IReadOnlyList<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout);

    /// <summary>
    /// The next record, or null when none arrived within <paramref name="timeout"/>. Blocks the calling thread and
    /// needs no thread-pool thread meanwhile, so it may be called from pool threads however many of them are blocked.
    /// </summary>
    ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout);

    /// <summary>The next record, waiting as long as it takes or until cancelled.</summary>
    Task<ConsumeResult<TKey, TValue>> ConsumeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The next records: waits for one, then adds what is already fetched, up to <c>max.poll.records</c> (Kafka's
    /// poll), for a consumer that processes in batches.
    /// </summary>
    Task<IReadOnlyList<ConsumeResult<TKey, TValue>>> ConsumeBatchAsync(CancellationToken cancellationToken = default);

    /// <summary>Every record from now on, until cancelled.</summary>
    IAsyncEnumerable<ConsumeResult<TKey, TValue>> ReadAllAsync(CancellationToken cancellationToken = default);
}
