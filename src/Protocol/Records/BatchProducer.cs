namespace LogCluster.Protocol.Records;

/// <summary>
/// The idempotent producer fields of a RecordBatch v2 header: who wrote the batch (producer id and epoch) and
/// the sequence number of its first record within the partition. Batches of a non-idempotent producer carry
/// <see cref="None"/> (-1 everywhere).
/// </summary>
public readonly record struct BatchProducer(long ProducerId, short ProducerEpoch, int BaseSequence)
{
    public static BatchProducer None { get; } = new(RecordBatchLayout.NoProducerId, RecordBatchLayout.NoProducerEpoch, RecordBatchLayout.NoSequence);
}
