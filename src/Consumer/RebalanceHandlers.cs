namespace LogCluster.Consumer;

/// <summary>
/// What a group member is told when its partitions change, inside Consume on the thread running it (the caller's,
/// or a pool thread once ConsumeAsync has waited; never an SDK thread), before the change takes effect for
/// revocation (so it can commit what it processed) and after it for assignment.
/// </summary>
internal sealed record RebalanceHandlers<TKey, TValue>(
    Action<IConsumer<TKey, TValue>, IReadOnlyList<TopicPartition>>? Assigned,
    Action<IConsumer<TKey, TValue>, IReadOnlyList<TopicPartition>>? Revoked);
