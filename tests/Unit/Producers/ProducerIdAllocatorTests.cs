using LogCluster.LogNode.Producers;

namespace LogCluster.Tests.Unit.Producers;

public sealed class ProducerIdAllocatorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "logcluster-pid-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void NewProducer_AcrossRestartsAndBlocks_NeverRepeatsAnId()
    {
        var seen = new HashSet<long>();
        for (var restart = 0; restart < 3; restart++)
        {
            var allocator = new ProducerIdAllocator(_directory);
            for (var i = 0; i < ProducerIdAllocator.BlockSize + 5; i++)
            {
                var (id, epoch) = allocator.NewProducer();
                Assert.True(seen.Add(id), $"id {id} handed out twice (restart {restart})");
                Assert.Equal(0, epoch);
            }
        }
    }

    [Fact]
    public void Bump_KeepsTheIdAndRaisesTheEpoch_NewIdWhenTheEpochWouldOverflow()
    {
        var allocator = new ProducerIdAllocator(_directory);
        var (id, _) = allocator.NewProducer();

        Assert.Equal((id, (short)4), allocator.Bump(id, 3));
        var (overflowId, overflowEpoch) = allocator.Bump(id, short.MaxValue - 1);
        Assert.NotEqual(id, overflowId);
        Assert.Equal(0, overflowEpoch);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
