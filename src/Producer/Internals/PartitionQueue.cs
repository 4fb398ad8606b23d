namespace LogCluster.Producer.Internals;

/// <summary>
/// One partition's batches, oldest first, guarded by <see cref="Lock"/>. <see cref="InDelivery"/> counts drained
/// batches not yet resolved; with max.in.flight=1 the partition is muted while it is not zero, so a retried
/// batch is always sent before the next one (ordering across retries). An idempotent producer also keeps the
/// partition's <see cref="Sequences"/> here.
/// </summary>
internal sealed class PartitionQueue(PartitionKey partition)
{
    public PartitionKey Partition { get; } = partition;

    public Lock Lock { get; } = new();

    public LinkedList<ProducerBatch> Batches { get; } = new();

    public int InDelivery { get; set; }

    /// <summary>The batch no longer counts in <see cref="InDelivery"/> (requeued or resolved); caller holds the lock.</summary>
    public void LeaveDelivery(ProducerBatch batch)
    {
        if (batch.CountsInDelivery)
        {
            batch.CountsInDelivery = false;
            InDelivery--;
        }
    }

    /// <summary>The next batch's <see cref="ProducerBatch.CreationOrder"/>.</summary>
    public long NextCreationOrder { get; set; }

    public PartitionSequences Sequences { get; } = new();
}
