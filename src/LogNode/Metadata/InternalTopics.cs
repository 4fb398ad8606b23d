namespace LogCluster.LogNode.Metadata;

/// <summary>The topics the cluster keeps for itself, as Kafka's: listed as internal, never deleted by a client.</summary>
internal static class InternalTopics
{
    /// <summary>Every group's committed offsets (the group coordinator's log).</summary>
    public const string ConsumerOffsets = "__consumer_offsets";

    /// <summary>The transaction coordinator's log (reserved for transactions).</summary>
    public const string TransactionState = "__transaction_state";

    public static bool IsInternal(string topic) => topic is ConsumerOffsets or TransactionState;
}
