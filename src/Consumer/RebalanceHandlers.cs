namespace LogCluster.Consumer;

/// <summary>
/// What a group member is told when its partitions change, on the thread that called Consume, before the
/// change takes effect for revocation (so it can commit what it processed) and after it for assignment.
/// </summary>
internal sealed record RebalanceHandlers<TKey, TValue>(
    Action<IConsumer<TKey, TValue>, IReadOnlyList<TopicPartition>>? Assigned,
    Action<IConsumer<TKey, TValue>, IReadOnlyList<TopicPartition>>? Revoked);
