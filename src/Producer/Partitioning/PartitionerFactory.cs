namespace LogCluster.Producer.Partitioning;

internal static class PartitionerFactory
{
    /// <param name="kind">The <c>partitioner</c> setting.</param>
    /// <param name="batchSize">batch.size: how many bytes keyless records stick to one partition.</param>
    /// <param name="random">Seeded in tests for repeatable sticky choices; a fresh generator otherwise.</param>
    public static IPartitioner Create(PartitionerKind kind, int batchSize, Random? random = null) => kind switch
    {
        PartitionerKind.Murmur2Random => new Murmur2RandomPartitioner(new UniformStickyPartitioner(batchSize, random)),
        PartitionerKind.Murmur2 => new Murmur2Partitioner(),
        PartitionerKind.UniformSticky => new UniformStickyPartitioner(batchSize, random),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown partitioner."),
    };
}
