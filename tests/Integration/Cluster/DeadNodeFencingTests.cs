using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Cluster;

/// <summary>
/// The controller tells a dead node from a silent one. A SIGKILLed leader's heartbeat stream is reset by its
/// kernel, so it is fenced after the dead-node grace (250 ms) and its partitions get new leaders well within the
/// session timeout (1500 ms). A frozen one (SIGSTOP) keeps its sockets open: only the session timeout catches it.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class DeadNodeFencingTests(ITestOutputHelper output)
{
    private const string Topic = "fencing";
    private static readonly TimeSpan _sessionTimeout = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan _heartbeatInterval = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Leader_Sigkilled_FencedForItsResetStreamAndANewLeaderFromTheIsrVisibleWithinOneSecond()
    {
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, partitions: 6, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var before = await rig.DescribeAsync(Topic);

        var timeline = await FailoverTimeline.MeasureAsync(rig.Cluster, Topic, LeaderFault.Kill, ClusterRig.Patience);
        output.WriteLine(timeline.ToString());

        Assert.True(timeline.FencedForReset, $"fenced for the session timeout, not the reset stream: {timeline}\n{rig.Logs}");
        Assert.True(timeline.Visible < TimeSpan.FromSeconds(1), $"new leader visible only after {timeline.Visible.TotalMilliseconds:F0} ms: {timeline}");
        // Kafka's rules, as the session-timeout path keeps them: only the ISR, each led partition at the next epoch.
        await rig.WaitForAsync(Topic, t => t.Partitions.All(p => p.LeaderId != timeline.Victim && !p.IsrIds.Contains(timeline.Victim)), "the killed node out of every ISR");
        var now = await rig.DescribeAsync(Topic);
        foreach (var was in before.Partitions.Where(p => p.LeaderId == timeline.Victim))
        {
            var partition = now.Partitions.Single(p => p.Partition == was.Partition);
            Assert.Contains(partition.LeaderId, was.IsrIds);
            Assert.Equal(was.LeaderEpoch + 1, partition.LeaderEpoch);
        }
    }

    [Fact]
    public async Task Leader_Frozen_StillFencedOnlyByTheSessionTimeout()
    {
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, partitions: 6, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });

        var timeline = await FailoverTimeline.MeasureAsync(rig.Cluster, Topic, LeaderFault.Freeze, ClusterRig.Patience);
        output.WriteLine(timeline.ToString());

        Assert.False(timeline.FencedForReset, $"a frozen node's sockets stay open, yet it was fenced for a reset stream: {timeline}");
        Assert.Null(timeline.ResetNoticed);
        // Its last heartbeat came at most one interval before the freeze; the session runs from there.
        Assert.True(timeline.Committed >= _sessionTimeout - _heartbeatInterval, $"fenced {timeline.Committed.TotalMilliseconds:F0} ms after the freeze, before the session timeout ran out: {timeline}");
        await rig.Cluster.Node(timeline.Victim).ResumeAsync();
        await rig.WaitForAsync(Topic, t => t.Partitions.All(p => p.IsrIds.Contains(timeline.Victim)), "the woken node back in every ISR");
    }
}
