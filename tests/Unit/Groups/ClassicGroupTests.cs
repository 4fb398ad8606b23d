using LogCluster.LogNode.Groups;
using LogCluster.Protocol.V1;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Groups;

/// <summary>The classic group protocol's state machine on a fake clock: joins, the leader's sync, heartbeats, expiry.</summary>
public sealed class ClassicGroupTests
{
    private static readonly TimeSpan _session = TimeSpan.FromSeconds(6);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TwoMembersJoining_GetOneGeneration_TheLeaderAllMetadata_AndEachItsPartOfTheLeadersAssignment()
    {
        var group = new ClassicGroup(offsetsLeaderEpoch: 0, _time, initialRebalanceDelay: TimeSpan.Zero);
        var (a, b) = (NewMemberId(group), NewMemberId(group));
        var first = Join(group, a, "range");
        var second = Join(group, b, "range");
        // The first join completed alone at once (no initial delay); the second starts a rebalance that waits for "a".
        Assert.Equal((ErrorCode.None, 1), (Completed(first).Error, Completed(first).Generation));
        Assert.False(second.IsCompleted);
        Assert.Equal(ErrorCode.RebalanceInProgress, group.Heartbeat(a, 1));

        var again = Join(group, a, "range");

        Assert.Equal((2, 2), (Completed(again).Generation, Completed(second).Generation));
        Assert.Equal(a, Completed(again).LeaderId);
        Assert.Equal(new[] { a, b }.Order(), Completed(again).Members.Select(m => m.MemberId).Order());
        Assert.Empty(Completed(second).Members);
        var followerSync = group.Sync(b, 2, []);
        Assert.False(followerSync.IsCompleted);
        var leaderSync = group.Sync(a, 2, [(a, [1]), (b, [2])]);
        Assert.Equal([1], Completed(leaderSync).Assignment);
        Assert.Equal([2], Completed(followerSync).Assignment);
        Assert.Equal(ErrorCode.None, group.Heartbeat(b, 2));
        Assert.Equal(ErrorCode.IllegalGeneration, group.Heartbeat(b, 1));
    }

    [Fact]
    public void AMemberWithoutAnId_IsGivenOneFirst_AndAnUnknownIdIsRefused()
    {
        var group = new ClassicGroup(0, _time, TimeSpan.Zero);

        var first = Completed(group.Join(Request(string.Empty, "range"), requireKnownMemberId: true));
        var unknown = Completed(group.Join(Request("made-up", "range"), requireKnownMemberId: true));
        var joined = Completed(group.Join(Request(first.MemberId, "range"), requireKnownMemberId: true));

        Assert.Equal(ErrorCode.MemberIdRequired, first.Error);
        Assert.StartsWith("client-", first.MemberId);
        Assert.Equal(ErrorCode.UnknownMemberId, unknown.Error);
        Assert.Equal((ErrorCode.None, first.MemberId), (joined.Error, joined.LeaderId));
    }

    [Fact]
    public void AMemberSilentForItsSessionTimeout_IsRemoved_AndTheOthersRebalanceWithoutIt()
    {
        var group = new ClassicGroup(0, _time, TimeSpan.Zero);
        var (a, b) = (NewMemberId(group), NewMemberId(group));
        Join(group, a, "range");
        var joinedB = Join(group, b, "range");
        Join(group, a, "range");
        group.Sync(a, 2, [(a, [1]), (b, [2])]);
        Assert.Equal(2, Completed(joinedB).Generation);

        // b stops; a keeps heartbeating and sees the rebalance b's departure starts.
        _time.Advance(_session / 2);
        Assert.Equal(ErrorCode.None, group.Heartbeat(a, 2));
        _time.Advance(_session / 2 + TimeSpan.FromMilliseconds(1));
        group.Tick();

        Assert.False(group.IsMember(b));
        Assert.Equal(ErrorCode.RebalanceInProgress, group.Heartbeat(a, 2));
        var alone = Join(group, a, "range");
        Assert.Equal((3, a), (Completed(alone).Generation, Completed(alone).LeaderId));
        Assert.Equal([a], Completed(alone).Members.Select(m => m.MemberId));
    }

    [Fact]
    public void AMemberOfferingNoAssignorTheOthersOffer_IsRefused()
    {
        var group = new ClassicGroup(0, _time, TimeSpan.Zero);
        Join(group, NewMemberId(group), "range");

        Assert.Equal(ErrorCode.InconsistentGroupProtocol, Completed(Join(group, NewMemberId(group), "roundrobin")).Error);
    }

    [Fact]
    public void AJoinOfferingNoProtocol_IsRefused_AndNeverBreaksTheRebalance()
    {
        var group = new ClassicGroup(0, _time, TimeSpan.Zero);

        var empty = Completed(group.Join(new JoinRequest(NewMemberId(group), "client", _session, _session, "consumer", []), requireKnownMemberId: true));

        Assert.Equal(ErrorCode.InconsistentGroupProtocol, empty.Error);
        group.Tick();
        Assert.False(group.HasMembers);
    }

    [Fact]
    public void TheCoordinatorMoving_AnswersEveryWaitingJoinAndSync_NotCoordinator()
    {
        var group = new ClassicGroup(0, _time, TimeSpan.Zero);
        var (a, b) = (NewMemberId(group), NewMemberId(group));
        Join(group, a, "range");
        var waitingJoin = Join(group, b, "range");
        Assert.False(waitingJoin.IsCompleted);

        group.Abandon();

        Assert.Equal(ErrorCode.NotCoordinator, Completed(waitingJoin).Error);
    }

    [Fact]
    public void ALeaderThatNeverSyncs_IsRemovedAfterTheRebalanceTimeout_AndTheFollowerRebalancesAlone()
    {
        var group = new ClassicGroup(0, _time, TimeSpan.Zero);
        var (a, b) = (NewMemberId(group), NewMemberId(group));
        Join(group, a, "range");
        Join(group, b, "range");
        var leaderJoin = Join(group, a, "range");
        Assert.Equal(a, Completed(leaderJoin).LeaderId);
        var followerSync = group.Sync(b, 2, []);

        _time.Advance(_session + TimeSpan.FromMilliseconds(1));
        group.Tick();

        Assert.False(group.IsMember(a));
        Assert.Equal(ErrorCode.RebalanceInProgress, Completed(followerSync).Error);
        var alone = Join(group, b, "range");
        Assert.Equal((3, b), (Completed(alone).Generation, Completed(alone).LeaderId));
    }

    /// <summary>The task's result, which must be there already: the group answers on the caller's thread or not yet.</summary>
    private static T Completed<T>(Task<T> task)
    {
        Assert.True(task.IsCompletedSuccessfully, "the answer is not there yet");
        return task.GetAwaiter().GetResult();
    }

    /// <summary>A member id as the group hands it out (MEMBER_ID_REQUIRED), for a join with it.</summary>
    private static string NewMemberId(ClassicGroup group) =>
        Completed(group.Join(Request(string.Empty, "range"), requireKnownMemberId: true)).MemberId;

    private static Task<JoinResult> Join(ClassicGroup group, string memberId, string assignor) =>
        group.Join(Request(memberId, assignor), requireKnownMemberId: false);

    private static JoinRequest Request(string memberId, string assignor) =>
        new(memberId, "client", _session, _session, "consumer", [(assignor, new byte[] { 0 })]);
}
