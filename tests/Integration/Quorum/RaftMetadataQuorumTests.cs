using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Metadata.Quorum;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using static LogCluster.Tests.Integration.Quorum.QuorumTestCluster;

namespace LogCluster.Tests.Integration.Quorum;

/// <summary>The DotNext-backed metadata quorum, with its members in-process on loopback.</summary>
// Elections at 300 ms timeouts: one class at a time with the other process-heavy ones, as the cluster tests. A restarted
// member once failed to catch up within 10 s in a CI run while other classes ran beside it (not reproduced in 27
// runs alone or under CPU load).
[Collection(ProcessHeavyCollection.Name)]
public sealed class RaftMetadataQuorumTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Start_ThreeVoters_AllAgreeOnOneController()
    {
        await using var cluster = new QuorumTestCluster(3, output);
        await cluster.StartAllAsync();

        var controller = await cluster.WaitForControllerAsync();

        Assert.Contains(controller, cluster.Voters.Select(v => v.NodeId));
        await cluster.WaitForLeadershipAsync();
    }

    [Fact]
    public async Task Propose_OnController_AppliedThereOnReturnAndEveryImageConverges()
    {
        await using var cluster = new QuorumTestCluster(3, output);
        await cluster.StartAllAsync();
        var changes = new ConcurrentQueue<ClusterImage>();
        foreach (var member in cluster.Running)
        {
            member.ImageChanged += changes.Enqueue;
        }
        var controller = cluster[await cluster.WaitForControllerAsync()];

        try
        {
            await controller.ProposeAsync([Register(1), Topic("orders", partitions: 3)], CancellationToken.None).WaitAsync(Patience);
            Assert.True(controller.Image.Topics.ContainsKey("orders"), "the controller's image holds the records once ProposeAsync returns");
        }
        catch (NotControllerException)
        {
            await cluster.ProposeAsync(Register(1), Topic("orders", partitions: 3)); // leadership moved: retry as a client would
        }
        await cluster.ProposeAsync(Topic("payments"));

        await WaitUntilAsync(() => cluster.Running.All(m => m.Image.Topics.ContainsKey("payments")), "every member to apply both entries");
        var expected = Content(cluster.Running.First().Image);
        Assert.All(cluster.Running, m => Assert.Equal(expected, Content(m.Image)));
        Assert.Equal(3, expected.Topics.Single(t => t.Name == "orders").Partitions.Count);
        Assert.Equal(1, expected.Nodes.Single().NodeId);
        Assert.Contains(changes, image => image.Topics.ContainsKey("payments"));
    }

    [Fact]
    public async Task ProposeAndWaitForLeadership_OnFollower_ThrowNotControllerException()
    {
        await using var cluster = new QuorumTestCluster(3, output);
        await cluster.StartAllAsync();

        for (var attempt = 0; ; attempt++)
        {
            Assert.True(attempt < 5, "leadership kept moving onto the chosen follower");
            var controller = await cluster.WaitForControllerAsync();
            var follower = cluster.Running.First(m => m.Self.NodeId != controller);

            var proposeRefused = await RefusesAsync(() => follower.ProposeAsync([Topic($"refused-{attempt}")], CancellationToken.None));
            var waitRefused = await RefusesAsync(() => follower.WaitForLeadershipAsync(CancellationToken.None));

            if (proposeRefused && waitRefused)
            {
                Assert.All(cluster.Running, m => Assert.False(m.Image.Topics.ContainsKey($"refused-{attempt}")));
                return;
            }
            Assert.Equal(follower.Self.NodeId, follower.ControllerId); // it accepted only because it leads now
        }

        static async Task<bool> RefusesAsync(Func<Task> call)
        {
            try
            {
                await call().WaitAsync(Patience);
                return false;
            }
            catch (NotControllerException)
            {
                return true;
            }
        }
    }

    [Fact]
    public async Task DisposeController_SurvivorsElectAnotherKeepRecordsAndAcceptProposals()
    {
        await using var cluster = new QuorumTestCluster(3, output);
        await cluster.StartAllAsync();
        await cluster.ProposeAsync(Topic("before"));
        var old = await cluster.WaitForControllerAsync();
        var changes = new ConcurrentQueue<int?>();
        foreach (var member in cluster.Running)
        {
            member.ControllerChanged += changes.Enqueue;
        }

        var stopping = Stopwatch.StartNew();
        await cluster.StopAsync(old);
        var stopped = stopping.ElapsedMilliseconds;
        var next = await cluster.WaitForControllerAsync();
        output.WriteLine($"Node {old} took {stopped} ms to stop; node {next} led {stopping.ElapsedMilliseconds - stopped} ms later");
        await cluster.ProposeAsync(Topic("after"));

        Assert.NotEqual(old, next);
        Assert.Contains(changes, id => id == next);
        await WaitUntilAsync(() => cluster.Running.All(m => m.Image.Topics.ContainsKey("after")), "both survivors to apply the new entry");
        Assert.All(cluster.Running, m => Assert.True(m.Image.Topics.ContainsKey("before")));
    }

    [Fact]
    public async Task RestartMember_RecoversFromSnapshotAndWalThenCatchesUp()
    {
        const int SnapshotInterval = 4;
        await using var cluster = new QuorumTestCluster(3, output, SnapshotInterval);
        await cluster.StartAllAsync();
        for (var i = 0; i < 10; i++)
        {
            await cluster.ProposeAsync(Topic($"t{i}"));
        }
        var controller = await cluster.WaitForControllerAsync();
        var victim = cluster.Voters.First(v => v.NodeId != controller).NodeId;
        await WaitUntilAsync(() => cluster[victim].Image.Topics.ContainsKey("t9"), "the victim to apply every entry");
        await cluster.StopAsync(victim);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(cluster.MetadataDirectory(victim), "snapshots")));

        for (var i = 10; i < 20; i++)
        {
            await cluster.ProposeAsync(Topic($"t{i}"));
        }
        var restarted = await cluster.StartAsync(victim);

        await WaitUntilAsync(() => restarted.Image.Topics.ContainsKey("t19"), "the restarted member to catch up");
        var expected = Content(cluster.Running.First(m => m != restarted).Image);
        await WaitUntilAsync(() => Content(restarted.Image).Equals(expected), "the restarted member's image to equal the others'");
        Assert.Equal(20, restarted.Image.Topics.Count);
    }

    [Fact]
    public async Task Start_RaftPortInUse_ThrowsAndLeavesNothingRunning()
    {
        await using var cluster = new QuorumTestCluster(1, output);
        using var squatter = new TcpListener(cluster.Voters[0].EndPoint);
        squatter.Start();
        var member = new RaftMetadataQuorum(1, cluster.Voters, cluster.MetadataDirectory(1), RaftTimeouts.Default, NullLoggerFactory.Instance);

        await Assert.ThrowsAsync<SocketException>(() => member.StartAsync(CancellationToken.None).WaitAsync(Patience));

        await member.DisposeAsync().AsTask().WaitAsync(Patience);
        Assert.Null(member.ControllerId);
        squatter.Stop();
        var retried = await cluster.StartAsync(1); // the directory was released
        await retried.ProposeWithRetryAsync(Topic("after-failed-start"));
    }

    [Fact]
    public async Task SingleVoter_Start_ElectsItselfAndAcceptsProposalsQuickly()
    {
        await using var cluster = new QuorumTestCluster(1, output);
        var started = Stopwatch.StartNew();
        var member = await cluster.StartAsync(1);

        await member.ProposeWithRetryAsync(Topic("solo"));

        output.WriteLine($"Single voter elected and committed in {started.ElapsedMilliseconds} ms");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(3), $"took {started.Elapsed}");
        Assert.Equal(1, member.ControllerId);
        Assert.True(member.Image.Topics.ContainsKey("solo"));
    }

    [Fact]
    public async Task SingleVoter_Restart_ReplaysSnapshotAndWalIntoTheSameImage()
    {
        const int SnapshotInterval = 3;
        await using var cluster = new QuorumTestCluster(1, output, SnapshotInterval);
        var member = await cluster.StartAsync(1);
        for (var i = 0; i < 8; i++)
        {
            await member.ProposeWithRetryAsync(Topic($"t{i}", partitions: 2), Register(i));
        }
        var before = Content(member.Image);
        await cluster.StopAsync(1);

        var restarted = await cluster.StartAsync(1);

        await WaitUntilAsync(() => Content(restarted.Image).Equals(before), "the replayed image to equal the one before the restart");
        await restarted.ProposeWithRetryAsync(Topic("after-restart"));
        Assert.Equal(9, restarted.Image.Topics.Count);
    }
}

internal static class QuorumMemberExtensions
{
    /// <summary>Proposes on one member, retrying while it has not yet won (or re-won) its election.</summary>
    public static async Task ProposeWithRetryAsync(this IMetadataQuorum member, params LogCluster.Protocol.V1.MetadataRecord[] records)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await member.ProposeAsync(records, CancellationToken.None).WaitAsync(Patience);
                return;
            }
            catch (NotControllerException) when (deadline.Elapsed < Patience)
            {
                await Task.Delay(20);
            }
        }
    }
}
