namespace LogCluster.Producer.Internals;

/// <summary>Who an idempotent producer is to the nodes: the id InitProducerId gave it, and its current epoch.</summary>
internal readonly record struct ProducerIdAndEpoch(long ProducerId, short Epoch);
