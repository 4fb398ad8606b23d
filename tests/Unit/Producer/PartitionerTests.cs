using System.Text;
using LogCluster.Producer;
using LogCluster.Producer.Partitioning;

namespace LogCluster.Tests.Unit.Producer;

public class PartitionerTests
{
    private const string Topic = "events";

    // Kafka's own vectors: apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Hash_JavaTestVectors_MatchKafka(string key, int expected)
    {
        Assert.Equal(expected, Murmur2.Hash(Encoding.UTF8.GetBytes(key)));
    }

    // Java's BuiltInPartitioner.partitionForKey on the same keys: (hash & 0x7fffffff) % partitions.
    [Theory]
    [InlineData("21", 10, 0)]
    [InlineData("foobar", 10, 6)]
    [InlineData("a-little-bit-longer-string", 6, 5)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 1000, 677)]
    [InlineData("abc", 4, 3)]
    [InlineData("abc", 1, 0)]
    public void PartitionForKey_JavaTestVectors_MatchJavaPartitioner(string key, int partitionCount, int expected)
    {
        Assert.Equal(expected, Murmur2.PartitionForKey(Encoding.UTF8.GetBytes(key), partitionCount));
    }

    [Fact]
    public void PartitionForKey_ManyKeys_StaysInRange()
    {
        for (var i = 0; i < 10_000; i++)
        {
            var key = Encoding.UTF8.GetBytes($"key-{i}");
            foreach (var partitionCount in new[] { 1, 2, 3, 7, 64, 1000 })
            {
                var partition = Murmur2.PartitionForKey(key, partitionCount);
                Assert.InRange(partition, 0, partitionCount - 1);
            }
        }
    }

    [Fact]
    public void Murmur2Partitioner_NullKey_HashesAsEmpty()
    {
        var partitioner = PartitionerFactory.Create(PartitionerKind.Murmur2, batchSize: 100);

        Assert.Equal(Murmur2.PartitionForKey([], 7), partitioner.Partition(Topic, null, 10, 7));
    }

    [Fact]
    public void Murmur2Random_Keyed_UsesTheKeyHash()
    {
        var partitioner = PartitionerFactory.Create(PartitionerKind.Murmur2Random, batchSize: 100, new Random(1));

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(3, partitioner.Partition(Topic, "abc"u8.ToArray(), recordBytes: 1000, partitionCount: 4));
        }
    }

    [Fact]
    public void Murmur2Random_Keyless_IsSticky()
    {
        const int Seed = 2;
        var partitioner = PartitionerFactory.Create(PartitionerKind.Murmur2Random, batchSize: 1000, new Random(Seed));

        var first = partitioner.Partition(Topic, null, 100, 8);
        var second = partitioner.Partition(Topic, null, 100, 8);

        Assert.True(first == second, $"keyless records moved before batch.size (seed {Seed})");
    }

    [Fact]
    public void UniformSticky_Keys_AreIgnored()
    {
        const int Seed = 3;
        var partitioner = PartitionerFactory.Create(PartitionerKind.UniformSticky, batchSize: 1000, new Random(Seed));

        var partitions = Enumerable.Range(0, 5).Select(i => partitioner.Partition(Topic, [(byte)i], 100, 16)).Distinct();

        Assert.True(partitions.Count() == 1, $"keys changed the sticky partition (seed {Seed})");
    }

    [Fact]
    public void UniformSticky_BatchSizeBytes_SticksThenMoves()
    {
        const int Seed = 4;
        var partitioner = new UniformStickyPartitioner(batchSize: 1000, new Random(Seed));

        // Ten 100-byte records reach batch.size; the eleventh goes elsewhere.
        var partitions = Enumerable.Range(0, 11).Select(_ => partitioner.Partition(Topic, null, 100, 8)).ToArray();

        Assert.True(partitions[..10].All(p => p == partitions[0]), $"moved early: {string.Join(",", partitions)} (seed {Seed})");
        Assert.True(partitions[10] != partitions[0], $"did not move: {string.Join(",", partitions)} (seed {Seed})");
    }

    [Fact]
    public void UniformSticky_ManySwitches_SpreadEvenlyAndNeverRepeat()
    {
        const int Seed = 5;
        const int PartitionCount = 5;
        const int Switches = 10_000;
        var partitioner = new UniformStickyPartitioner(batchSize: 100, new Random(Seed));
        var counts = new int[PartitionCount];
        var previous = -1;

        for (var i = 0; i < Switches; i++)
        {
            // Each record fills batch.size, so every call switches.
            var partition = partitioner.Partition(Topic, null, 100, PartitionCount);
            Assert.True(partition != previous, $"partition {partition} twice in a row at record {i} (seed {Seed})");
            counts[partition]++;
            previous = partition;
        }

        const int Expected = Switches / PartitionCount;
        Assert.True(
            counts.All(c => c >= Expected * 0.8 && c <= Expected * 1.2),
            $"uneven spread {string.Join(",", counts)}, expected {Expected} ± 20% (seed {Seed})");
    }

    [Fact]
    public void UniformSticky_OnePartition_AlwaysZero()
    {
        var partitioner = new UniformStickyPartitioner(batchSize: 100, new Random(6));

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(0, partitioner.Partition(Topic, null, 100, 1));
        }
    }

    [Fact]
    public void UniformSticky_PartitionCountShrinks_StaysInRange()
    {
        const int Seed = 7;
        var partitioner = new UniformStickyPartitioner(batchSize: 1_000_000, new Random(Seed));
        var topics = Enumerable.Range(0, 20).Select(i => $"t{i}").ToArray();
        foreach (var topic in topics)
        {
            // Stick somewhere in 0..99; nearly every topic lands beyond the 3 partitions left after the shrink.
            partitioner.Partition(topic, null, 1, 100);
        }

        foreach (var topic in topics)
        {
            var partition = partitioner.Partition(topic, null, 1, 3);
            Assert.True(partition is >= 0 and < 3, $"{topic} got {partition} of 3 after the shrink (seed {Seed})");
        }
    }

    [Fact]
    public void UniformSticky_Topics_StickIndependently()
    {
        const int Seed = 8;
        var partitioner = new UniformStickyPartitioner(batchSize: 1000, new Random(Seed));
        var a = partitioner.Partition("a", null, 600, 50);

        // Bytes sent to "b" must not push "a" past batch.size.
        partitioner.Partition("b", null, 600, 50);

        Assert.True(partitioner.Partition("a", null, 300, 50) == a, $"topic b moved topic a (seed {Seed})");
    }

    [Theory]
    [InlineData(PartitionerKind.Murmur2Random)]
    [InlineData(PartitionerKind.Murmur2)]
    [InlineData(PartitionerKind.UniformSticky)]
    public void Partition_ManyThreadsAndChangingCounts_StaysInRange(PartitionerKind kind)
    {
        var partitioner = PartitionerFactory.Create(kind, batchSize: 500, new Random(9));

        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, thread =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                // Counts grow and shrink between calls, as metadata refreshes would make them.
                var partitionCount = 1 + ((thread + i) % 12);
                byte[]? key = i % 3 == 0 ? null : BitConverter.GetBytes(i);
                var partition = partitioner.Partition(i % 2 == 0 ? "t1" : "t2", key, 100, partitionCount);
                Assert.InRange(partition, 0, partitionCount - 1);
            }
        });
    }
}
