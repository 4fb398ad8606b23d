using LogCluster.LogNode.Replication;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Replication;

public sealed class ReplicaProgressTests
{
    private const int Leader = 1;
    private static readonly TimeSpan _lagTimeMax = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();

    private ReplicaProgress Create(int[]? replicas = null, int[]? isr = null) =>
        new(Leader, replicas ?? [1, 2, 3], isr ?? replicas ?? [1, 2, 3], _time, _lagTimeMax);

    [Fact]
    public void Constructor_FollowersStartUnknown_OnlyFollowersHaveALogEnd()
    {
        var progress = Create();

        Assert.Equal(ReplicaProgress.UnknownOffset, progress.FollowerLogEnd(2));
        Assert.Equal(ReplicaProgress.UnknownOffset, progress.FollowerLogEnd(3));
        Assert.Null(progress.FollowerLogEnd(Leader));
        Assert.Null(progress.FollowerLogEnd(9));
        Assert.Equal([1, 2, 3], progress.Isr);
    }

    [Fact]
    public void Constructor_IsrWithoutLeaderOrWithAStranger_Throws()
    {
        Assert.Throws<ArgumentException>(() => Create([1, 2, 3], [2, 3]));
        Assert.Throws<ArgumentException>(() => Create([1, 2, 3], [1, 4]));
        Assert.Throws<ArgumentException>(() => Create([1, 2, 2], [1]));
        Assert.Throws<ArgumentException>(() => new ReplicaProgress(5, [1, 2, 3], [5], _time, _lagTimeMax));
        Assert.Throws<ArgumentException>(() => Create().SetIsr([2, 3]));
    }

    [Fact]
    public void OnFollowerFetch_UnknownReplicaOrTheLeader_IsIgnored()
    {
        var progress = Create();

        Assert.False(progress.OnFollowerFetch(9, 10, 10));
        Assert.False(progress.OnFollowerFetch(Leader, 10, 10));
        Assert.True(progress.OnFollowerFetch(2, 10, 10));
        Assert.Equal(10, progress.FollowerLogEnd(2));
        Assert.Null(progress.FollowerLogEnd(9));
    }

    [Fact]
    public void OnFollowerFetch_FetchOffsetMovesBack_LogEndFollowsIt()
    {
        // A follower that truncated a divergent tail fetches from below where it was; its log end is what it asks for.
        var progress = Create();
        progress.OnFollowerFetch(2, 80, 100);
        progress.OnFollowerFetch(2, 60, 100);

        Assert.Equal(60, progress.FollowerLogEnd(2));
    }

    [Fact]
    public void ShrinkCandidate_FollowersFetchingAtLeaderLogEnd_StayInIsr()
    {
        var progress = Create();
        for (long leaderLogEnd = 0; leaderLogEnd < 100; leaderLogEnd += 10)
        {
            _time.Advance(TimeSpan.FromSeconds(20));
            progress.OnFollowerFetch(2, leaderLogEnd, leaderLogEnd);
            progress.OnFollowerFetch(3, leaderLogEnd, leaderLogEnd);
            Assert.Null(progress.ShrinkCandidate());
        }
    }

    [Fact]
    public void ShrinkCandidate_LaggingFollowerThatKeepsUp_StaysInIsr()
    {
        // Under a steady stream the follower is always one round behind the leader's current end, but each fetch
        // reaches the end the leader had at the previous one: Kafka keeps such a follower in the ISR.
        var progress = Create([1, 2]);
        long leaderLogEnd = 0;
        for (var round = 0; round < 50; round++)
        {
            var previousLeaderLogEnd = leaderLogEnd;
            leaderLogEnd += 10;
            _time.Advance(TimeSpan.FromSeconds(5));
            progress.OnFollowerFetch(2, previousLeaderLogEnd, leaderLogEnd);
            Assert.Null(progress.ShrinkCandidate());
        }
        Assert.Equal(TimeSpan.FromSeconds(5), progress.Followers.Single().SinceCaughtUp);
    }

    [Fact]
    public void OnFollowerFetch_ReachesPreviousLeaderEnd_CaughtUpAsOfPreviousFetch()
    {
        var progress = Create([1, 2]);
        _time.Advance(TimeSpan.FromSeconds(10));
        progress.OnFollowerFetch(2, 0, 100);
        _time.Advance(TimeSpan.FromSeconds(25));
        progress.OnFollowerFetch(2, 100, 200);

        // Caught up as of the fetch 25 s ago, not now: it had at the second fetch what the leader had at the first.
        Assert.Equal(TimeSpan.FromSeconds(25), progress.Followers.Single().SinceCaughtUp);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Null(progress.ShrinkCandidate());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([1], progress.ShrinkCandidate());
    }

    [Fact]
    public void ShrinkCandidate_StuckFollower_RemovedOnlyAfterLagTimeMax()
    {
        var progress = Create();
        progress.OnFollowerFetch(2, 10, 10);
        progress.OnFollowerFetch(3, 10, 10);
        long leaderLogEnd = 10;
        for (var second = 1; second <= 30; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            leaderLogEnd += 10;
            progress.OnFollowerFetch(2, 10, leaderLogEnd);
            progress.OnFollowerFetch(3, leaderLogEnd, leaderLogEnd);
        }

        // Exactly replica.lag.time.max.ms behind is still in sync; a millisecond more is not.
        Assert.Null(progress.ShrinkCandidate());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([1, 3], progress.ShrinkCandidate());
        Assert.Equal([1, 2, 3], progress.Isr);
    }

    [Fact]
    public void ShrinkCandidate_FollowerThatNeverFetches_RemovedLagTimeMaxAfterElection()
    {
        var progress = Create([1, 2, 3], [1, 3, 2]);
        progress.OnFollowerFetch(3, 0, 0);
        _time.Advance(_lagTimeMax);
        progress.OnFollowerFetch(3, 0, 0);
        Assert.Null(progress.ShrinkCandidate());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([1, 3], progress.ShrinkCandidate());
    }

    [Fact]
    public void ShrinkCandidate_LeaderAlone_NeverShrinks()
    {
        var progress = Create([1, 2], [1]);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Null(progress.ShrinkCandidate());
    }

    [Fact]
    public void SetIsr_AfterShrinkAccepted_ShrinkCandidateIsNull()
    {
        var progress = Create();
        progress.OnFollowerFetch(2, 0, 0);
        _time.Advance(_lagTimeMax + TimeSpan.FromSeconds(1));
        progress.OnFollowerFetch(2, 0, 0);
        var proposed = progress.ShrinkCandidate();
        Assert.Equal([1, 2], proposed);

        progress.SetIsr(proposed!);

        Assert.Equal([1, 2], progress.Isr);
        Assert.Null(progress.ShrinkCandidate());
        Assert.False(progress.Followers.Single(f => f.ReplicaId == 3).InIsr);
    }

    [Fact]
    public void HighWatermark_IsMinimumLogEndOverIsr_LeaderCountsItsOwn()
    {
        var progress = Create();
        progress.OnFollowerFetch(2, 50, 100);
        progress.OnFollowerFetch(3, 70, 100);

        Assert.Equal(50, progress.HighWatermark(100));
        progress.OnFollowerFetch(2, 100, 100);
        Assert.Equal(70, progress.HighWatermark(100));
        progress.OnFollowerFetch(3, 100, 100);
        Assert.Equal(100, progress.HighWatermark(100));
    }

    [Fact]
    public void HighWatermark_IsrFollowerNotYetFetched_CountsAsZero()
    {
        var progress = Create();
        progress.OnFollowerFetch(2, 100, 100);

        Assert.Equal(0, progress.HighWatermark(100));
    }

    [Fact]
    public void HighWatermark_FollowerOutOfIsr_DoesNotHoldIt()
    {
        var progress = Create([1, 2, 3], [1, 2]);
        progress.OnFollowerFetch(2, 80, 100);
        progress.OnFollowerFetch(3, 5, 100);

        Assert.Equal(80, progress.HighWatermark(100));
    }

    [Fact]
    public void HighWatermark_LeaderAlone_IsLeaderLogEnd()
    {
        var progress = Create([1, 2, 3], [1]);

        Assert.Equal(42, progress.HighWatermark(42));
    }

    [Fact]
    public void HighWatermark_ExpansionPending_CountsTheProposedMemberUntilAnswered()
    {
        var progress = Create([1, 2, 3], [1, 2]);
        progress.OnFollowerFetch(2, 100, 100);
        progress.OnFollowerFetch(3, 60, 100);
        Assert.Equal(100, progress.HighWatermark(100));

        progress.SetPendingIsr([1, 2, 3]);
        Assert.True(progress.IsrChangePending);
        Assert.Equal(60, progress.HighWatermark(100));
        Assert.Equal([1, 2], progress.Isr);

        // The controller refused: the committed ISR is reported back and the proposed member stops counting.
        progress.SetIsr([1, 2]);
        Assert.False(progress.IsrChangePending);
        Assert.Equal(100, progress.HighWatermark(100));
    }

    [Fact]
    public void Candidates_WhileChangePending_AreNull()
    {
        var progress = Create([1, 2, 3], [1, 2]);
        progress.OnFollowerFetch(3, 100, 100);
        _time.Advance(_lagTimeMax + TimeSpan.FromSeconds(1));
        Assert.NotNull(progress.ShrinkCandidate());
        Assert.NotNull(progress.ExpandCandidate(100, 0));

        progress.SetPendingIsr([1, 2, 3]);

        Assert.Null(progress.ShrinkCandidate());
        Assert.Null(progress.ExpandCandidate(100, 0));
    }

    [Fact]
    public void ExpandCandidate_FollowersAtHighWatermarkAndEpochStart_AddedAfterIsrInReplicaOrder()
    {
        var progress = Create([1, 2, 3, 4], [3, 1]);
        progress.OnFollowerFetch(4, 100, 120);
        progress.OnFollowerFetch(2, 100, 120);

        Assert.Equal([3, 1, 2, 4], progress.ExpandCandidate(highWatermark: 100, leaderEpochStartOffset: 90));
    }

    [Fact]
    public void ExpandCandidate_FollowerBelowHighWatermark_NotAdded()
    {
        var progress = Create([1, 2, 3], [1, 2]);
        progress.OnFollowerFetch(3, 99, 120);

        Assert.Null(progress.ExpandCandidate(highWatermark: 100, leaderEpochStartOffset: 0));
        progress.OnFollowerFetch(3, 100, 120);
        Assert.Equal([1, 2, 3], progress.ExpandCandidate(highWatermark: 100, leaderEpochStartOffset: 0));
    }

    [Fact]
    public void ExpandCandidate_FollowerAtHighWatermarkButBeforeEpochStart_NotAdded()
    {
        // Right after election the high watermark can trail the epoch's first offset; a follower between the two has
        // not fetched anything this leader wrote, so it may still hold a divergent tail of the previous epoch.
        var progress = Create([1, 2, 3], [1, 2]);
        progress.OnFollowerFetch(3, 60, 100);

        Assert.Null(progress.ExpandCandidate(highWatermark: 50, leaderEpochStartOffset: 80));
        progress.OnFollowerFetch(3, 80, 100);
        Assert.Equal([1, 2, 3], progress.ExpandCandidate(highWatermark: 50, leaderEpochStartOffset: 80));
    }

    [Fact]
    public void ExpandCandidate_FollowerNotYetFetched_NotAddedEvenAtOffsetZero()
    {
        var progress = Create([1, 2, 3], [1, 2]);

        Assert.Null(progress.ExpandCandidate(highWatermark: 0, leaderEpochStartOffset: 0));
    }

    [Fact]
    public void ExpandCandidate_AllReplicasInIsr_Null()
    {
        var progress = Create();
        progress.OnFollowerFetch(2, 100, 100);
        progress.OnFollowerFetch(3, 100, 100);

        Assert.Null(progress.ExpandCandidate(highWatermark: 100, leaderEpochStartOffset: 0));
    }

    [Fact]
    public async Task OnFollowerFetch_ConcurrentFetchesAndChecks_EndAtTheLastOffsets()
    {
        var progress = Create();
        var fetchers = new[] { 2, 3 }.Select(replica => Task.Run(() =>
        {
            for (long offset = 1; offset <= 10_000; offset++)
            {
                progress.OnFollowerFetch(replica, offset, 10_000);
                _ = progress.HighWatermark(10_000);
                _ = progress.ShrinkCandidate();
            }
        }));

        await Task.WhenAll(fetchers).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(10_000, progress.HighWatermark(10_000));
        Assert.All(progress.Followers, f => Assert.Equal(10_000, f.LogEndOffset));
    }
}
