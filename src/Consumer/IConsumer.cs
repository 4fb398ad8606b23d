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
    /// <see cref="Offsets.End"/>; <see cref="Offsets.Unset"/> lets <c>auto.offset.reset</c> choose.
    /// </summary>
    void Assign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Replaces the assignment; every partition starts where <c>auto.offset.reset</c> says.</summary>
    void Assign(IEnumerable<TopicPartition> partitions);

    /// <summary>Drops every partition.</summary>
    void Unassign();

    /// <summary>Moves an assigned partition's position: the next record consumed from it is at this offset (or a special <see cref="Offsets"/> value).</summary>
    void Seek(TopicPartitionOffset position);

    /// <summary>The offset of the next record Consume returns from the partition, or <see cref="Offsets.Unset"/> while its start is being looked up.</summary>
    long Position(TopicPartition partition);

    /// <summary>The next record, or null when none arrived within <paramref name="timeout"/>.</summary>
    ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout);

    /// <summary>The next record, waiting as long as it takes or until cancelled.</summary>
    Task<ConsumeResult<TKey, TValue>> ConsumeAsync(CancellationToken cancellationToken = default);

    /// <summary>Every record from now on, until cancelled.</summary>
    IAsyncEnumerable<ConsumeResult<TKey, TValue>> ReadAllAsync(CancellationToken cancellationToken = default);
}
