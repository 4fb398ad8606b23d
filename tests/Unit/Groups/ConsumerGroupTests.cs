using LogCluster.LogNode.Groups;
using LogCluster.Protocol.V1;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Groups;

/// <summary>The coordinator's membership rules: server-side assignment, hand-over only after release, session expiry, fencing.</summary>
public sealed class ConsumerGroupTests
{
    private const string Topic = "orders";
    private readonly FakeTimeProvider _time = new();
    private readonly ConsumerGroup _group;

    public ConsumerGroupTests() => _group = new ConsumerGroup(offsetsLeaderEpoch: 0, _time);

    private static int? SixPartitions(string topic) => topic == Topic ? 6 : null;

    private ConsumerGroupHeartbeatResponse Beat(string memberId, int epoch, params int[] owned)
    {
        var request = new ConsumerGroupHeartbeatRequest { GroupId = "g", MemberId = memberId, MemberEpoch = epoch, Assignor = "uniform", SessionTimeoutMs = 3000 };
        request.SubscribedTopics.Add(Topic);
        if (owned.Length > 0)
        {
            request.Owned.Add(new TopicPartitions { Topic = Topic, Partitions = { owned } });
        }
        return _group.Heartbeat(request, SixPartitions);
    }

    private static int[] Assigned(ConsumerGroupHeartbeatResponse response) => [.. response.Assignment.SelectMany(t => t.Partitions).Order()];

    [Fact]
    public void Heartbeat_SecondMemberJoins_GetsItsShareOnlyAfterTheFirstReleasesIt()
    {
        var first = Beat("", 0);
        Assert.Equal([0, 1, 2, 3, 4, 5], Assigned(first));
        var firstOwns = Assigned(first);

        var second = Beat("", 0);
        // Its target is half, but the first member still owns everything.
        Assert.Empty(Assigned(second));
        var firstAgain = Beat(first.MemberId, first.MemberEpoch, firstOwns);
        Assert.Equal(3, Assigned(firstAgain).Length);
        Beat(first.MemberId, firstAgain.MemberEpoch, Assigned(firstAgain));
        var secondAgain = Beat(second.MemberId, second.MemberEpoch);

        Assert.Equal([0, 1, 2, 3, 4, 5], Assigned(firstAgain).Concat(Assigned(secondAgain)).Order());
    }

    [Fact]
    public void ExpireSilent_MemberSilentPastItsSession_ItsPartitionsGoToTheOthers()
    {
        var first = Beat("", 0);
        var second = Beat("", 0);
        var firstHalf = Assigned(Beat(first.MemberId, first.MemberEpoch, Assigned(first)));
        Beat(first.MemberId, first.MemberEpoch, firstHalf);

        _time.Advance(TimeSpan.FromSeconds(2));
        var secondBeat = Beat(second.MemberId, second.MemberEpoch);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, _group.ExpireSilent(SixPartitions));

        Assert.Equal([0, 1, 2, 3, 4, 5], Assigned(Beat(second.MemberId, secondBeat.MemberEpoch, Assigned(secondBeat))));
    }

    [Fact]
    public void Heartbeat_LeaveThenUnknownMember_AnsweredUnknownMemberId()
    {
        var member = Beat("", 0);
        Beat(member.MemberId, -1);

        Assert.Equal(ErrorCode.UnknownMemberId, Beat(member.MemberId, member.MemberEpoch).ErrorCode);
        Assert.False(_group.HasMembers);
    }

    [Fact]
    public void Holds_OnlyWhatTheMemberWasGivenOrReportsOwning()
    {
        var first = Beat("", 0);
        var second = Beat("", 0);

        Assert.True(_group.Holds(first.MemberId, Topic, 0));
        Assert.False(_group.Holds(second.MemberId, Topic, 0));
        Assert.False(_group.Holds("stranger", Topic, 0));
    }

    [Fact]
    public void Heartbeat_EpochNewerThanGiven_Fenced()
    {
        var member = Beat("", 0);

        Assert.Equal(ErrorCode.FencedMemberEpoch, Beat(member.MemberId, member.MemberEpoch + 5).ErrorCode);
    }

    [Theory]
    [InlineData("range", new[] { 0, 1 }, new[] { 2, 3 }, new[] { 4, 5 })]
    [InlineData("uniform", new[] { 0, 3 }, new[] { 1, 4 }, new[] { 2, 5 })]
    public void Assign_SixPartitionsThreeMembers_TwoEach(string assignor, int[] a, int[] b, int[] c)
    {
        IReadOnlySet<string> topics = new HashSet<string> { Topic };
        var result = Assignors.Assign(assignor, [("a", topics), ("b", topics), ("c", topics)], new Dictionary<string, int> { [Topic] = 6 });

        Assert.Equal([a, b, c], new[] { "a", "b", "c" }.Select(m => result[m].Select(p => p.Partition).Order().ToArray()));
    }

    [Fact]
    public void Assign_UniformOverTwoTopics_TotalsDifferByAtMostOne()
    {
        IReadOnlySet<string> both = new HashSet<string> { "x", "y" };
        var result = Assignors.Assign(Assignors.Uniform, [("a", both), ("b", both)], new Dictionary<string, int> { ["x"] = 3, ["y"] = 3 });

        Assert.Equal([3, 3], result.Values.Select(p => p.Count));
    }
}
