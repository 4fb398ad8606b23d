using System.Collections.Concurrent;

namespace LogCluster.Producer.Partitioning;

/// <summary>
/// <c>uniform_sticky</c> (KIP-794): per topic, send to one partition until at least batch.size bytes have gone
/// to it, then move to another chosen uniformly at random. Sticking fills batches (fewer, larger requests);
/// counting bytes rather than switching when a batch is created keeps slow brokers from receiving more data.
/// Keys are ignored.
/// </summary>
/// <remarks>
/// Java may stay up to 2·batch.size to switch on a batch boundary; the partitioner here does not see batches
/// close, so it switches as soon as batch.size is reached. Java's adaptive, queue-weighted choice is not done.
/// </remarks>
internal sealed class UniformStickyPartitioner : IPartitioner
{
    private readonly int _batchSize;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);

    /// <param name="batchSize">batch.size: the bytes to send to a partition before moving on.</param>
    /// <param name="random">A seeded generator makes the choices repeatable in tests; Random is not thread-safe, so it is locked.</param>
    public UniformStickyPartitioner(int batchSize, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _batchSize = batchSize;
        _random = random ?? new Random();
    }

    public int Partition(string topic, byte[]? key, int recordBytes, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        var state = _topics.GetOrAdd(topic, static _ => new TopicState());
        lock (state.Gate)
        {
            // Also move when the sticky partition is out of range: the metadata this call saw has fewer partitions.
            if (state.Partition < 0 || state.Partition >= partitionCount || state.ProducedBytes >= _batchSize)
            {
                state.Partition = NextPartition(state.Partition, partitionCount);
                state.ProducedBytes = 0;
            }
            state.ProducedBytes += recordBytes;
            return state.Partition;
        }
    }

    private int NextPartition(int previous, int partitionCount)
    {
        lock (_randomLock)
        {
            if (previous < 0 || previous >= partitionCount)
            {
                return _random.Next(partitionCount);
            }
            if (partitionCount == 1)
            {
                return 0;
            }
            // Uniform over the other partitions: draw from one fewer and skip over the previous one.
            var next = _random.Next(partitionCount - 1);
            return next >= previous ? next + 1 : next;
        }
    }

    private sealed class TopicState
    {
        public Lock Gate { get; } = new();

        /// <summary>The sticky partition, or -1 before the first record.</summary>
        public int Partition { get; set; } = -1;

        public long ProducedBytes { get; set; }
    }
}
