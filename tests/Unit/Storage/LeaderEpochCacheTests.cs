using LogCluster.LogNode.Storage;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>The leader-epoch cache on its own: assignment, OffsetsForLeaderEpoch lookups (KIP-101/KIP-279), trimming, its file.</summary>
public sealed class LeaderEpochCacheTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "logcluster-epochs-" + Guid.NewGuid().ToString("N"));

    public LeaderEpochCacheTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private LeaderEpochCache CacheWith(params (int Epoch, long Start)[] entries)
    {
        var cache = new LeaderEpochCache(_directory);
        foreach (var (epoch, start) in entries)
        {
            Assert.True(cache.Assign(epoch, start));
        }
        return cache;
    }

    [Fact]
    public void Assign_NewerEpochs_RecordedAndOlderOrEqualOnesIgnored()
    {
        var cache = CacheWith((0, 0), (2, 10));

        Assert.False(cache.Assign(2, 15));
        Assert.False(cache.Assign(1, 20));
        Assert.True(cache.Assign(5, 20));

        Assert.Equal([new EpochEntry(0, 0), new EpochEntry(2, 10), new EpochEntry(5, 20)], cache.Export());
        Assert.Equal(5, cache.LastEpoch);
    }

    [Fact]
    public void Assign_NewerEpochStartingBeforeTheLastOne_Refused()
    {
        var cache = CacheWith((1, 10));

        Assert.Throws<InvalidOperationException>(() => cache.Assign(2, 9));
    }

    [Fact]
    public void EndOffsetFor_EmptyCache_Undefined()
    {
        var cache = new LeaderEpochCache(_directory);

        Assert.Equal(-1, cache.LastEpoch);
        Assert.Equal((-1, -1L), cache.EndOffsetFor(0, logEndOffset: 0));
        Assert.Equal((-1, -1L), cache.EndOffsetFor(7, logEndOffset: 0));
    }

    [Fact]
    public void EndOffsetFor_LastOrNewerEpoch_TheLastEpochEndsAtTheLogEnd()
    {
        var cache = CacheWith((0, 0), (3, 10));

        Assert.Equal((3, 25L), cache.EndOffsetFor(3, logEndOffset: 25));
        Assert.Equal((3, 25L), cache.EndOffsetFor(9, logEndOffset: 25));
    }

    [Fact]
    public void EndOffsetFor_CachedOlderEpoch_EndsWhereTheNextStarts()
    {
        var cache = CacheWith((0, 0), (3, 10), (4, 18));

        Assert.Equal((0, 10L), cache.EndOffsetFor(0, logEndOffset: 25));
        Assert.Equal((3, 18L), cache.EndOffsetFor(3, logEndOffset: 25));
    }

    [Fact]
    public void EndOffsetFor_EpochThisLogNeverHad_AnswersTheLargestOlderEpochAndItsEnd()
    {
        // KIP-279: the follower asks for its epoch 2, which this leader never saw: the answer is epoch 1 and where
        // it ended here, so the follower truncates there and asks again for its own epoch 1.
        var cache = CacheWith((1, 0), (3, 10));

        Assert.Equal((1, 10L), cache.EndOffsetFor(2, logEndOffset: 25));
    }

    [Fact]
    public void EndOffsetFor_BelowEveryCachedEpoch_Undefined()
    {
        var cache = CacheWith((2, 5), (3, 10));

        Assert.Equal((-1, -1L), cache.EndOffsetFor(1, logEndOffset: 25));
    }

    [Fact]
    public void TruncateFromEnd_EpochsStartingAtOrAfterTheCut_Forgotten()
    {
        var cache = CacheWith((0, 0), (3, 10), (4, 18));

        cache.TruncateFromEnd(18);

        Assert.Equal([new EpochEntry(0, 0), new EpochEntry(3, 10)], cache.Export());
        Assert.Equal(3, cache.LastEpochBefore(18));
        Assert.Equal(0, cache.LastEpochBefore(10));
    }

    [Fact]
    public void TruncateFromStart_NewLogStart_KeepsTheEpochHoldingItClampedToIt()
    {
        var cache = CacheWith((0, 0), (3, 10), (4, 18));

        cache.TruncateFromStart(12);

        Assert.Equal([new EpochEntry(3, 12), new EpochEntry(4, 18)], cache.Export());
    }

    [Fact]
    public void TruncateFromStart_AtAnEpochStart_DropsOnlyTheEpochsBefore()
    {
        var cache = CacheWith((0, 0), (3, 10), (4, 18));

        cache.TruncateFromStart(18);

        Assert.Equal([new EpochEntry(4, 18)], cache.Export());
    }

    [Fact]
    public void TryLoad_AfterChanges_ReadsWhatWasLastWritten()
    {
        var cache = CacheWith((0, 0), (3, 10), (4, 18));
        cache.TruncateFromEnd(18);

        var loaded = new LeaderEpochCache(_directory);

        Assert.True(loaded.TryLoad());
        Assert.Equal(cache.Export(), loaded.Export());
    }

    [Fact]
    public void TryLoad_MissingOrDamaged_FalseAndEmpty()
    {
        var path = Path.Combine(_directory, SegmentFiles.LeaderEpochCheckpointFile);
        var loaded = new LeaderEpochCache(_directory);
        Assert.False(loaded.TryLoad());

        CacheWith((0, 0), (3, 10));
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        Assert.False(loaded.TryLoad());
        Assert.Equal(0, loaded.Count);
    }

    [Fact]
    public void Deserialize_DescendingEpochs_Rejected()
    {
        var bytes = LeaderEpochCache.Serialize([new EpochEntry(3, 10), new EpochEntry(2, 20)]);

        Assert.Null(LeaderEpochCache.Deserialize(bytes));
        Assert.Equal([new EpochEntry(2, 10)], LeaderEpochCache.Deserialize(LeaderEpochCache.Serialize([new EpochEntry(2, 10)])));
    }
}
