using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.V1;
using LogCluster.Tests.Integration.Cluster;

namespace LogCluster.Bench;

/// <summary>
/// Leader failover step by step (<see cref="FailoverTimeline"/>, shared with the cluster tests): one local 3-node
/// cluster; each round creates a new 6-partition RF=3 topic (so every node leads two partitions), SIGKILLs (or
/// SIGSTOPs) the leader of one, times detection, fence, commit, propagation and the new leader's start, then brings
/// the node back. Medians over the rounds.
/// </summary>
internal static class FailoverCommand
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(60);

    /// <param name="rounds">Failovers to measure, each on a new topic.</param>
    /// <param name="fault">What happens to the leader.</param>
    /// <param name="deadNodeGraceMs">The nodes' --dead-node-grace-ms, or null for their default; past the session timeout it
    /// leaves only the session timeout, as before the grace existed: the same-run baseline.</param>
    public static async Task<int> RunAsync(int rounds, LeaderFault fault, int? deadNodeGraceMs)
    {
        var data = Path.Combine(Path.GetTempPath(), "logcluster-bench-" + Guid.NewGuid().ToString("N"));
        var timelines = new List<FailoverTimeline>();
        string[] nodeArgs = deadNodeGraceMs is { } grace ? ["--dead-node-grace-ms", grace.ToString(CultureInfo.InvariantCulture)] : [];
        await using (var cluster = await LocalCluster.StartAsync(3, data, nodeArgs))
        {
            for (var round = 1; round <= rounds; round++)
            {
                var topic = $"failover-{round}";
                await CreateTopicAsync(cluster, topic);
                var timeline = await FailoverTimeline.MeasureAsync(cluster, topic, fault, _patience);
                Console.Error.WriteLine($"round {round}: {timeline}");
                timelines.Add(timeline);
                var victim = cluster.Node(timeline.Victim);
                await (fault == LeaderFault.Freeze ? victim.ResumeAsync() : victim.StartAsync());
                await WaitAsync(cluster, m => m.Nodes.Count == cluster.Nodes.Count && m.ControllerId > 0, $"node {timeline.Victim} registered again");
            }
        }
        Directory.Delete(data, recursive: true);

        var settings = deadNodeGraceMs is { } g ? $", --dead-node-grace-ms {g}" : "";
        Console.WriteLine($"| step ({fault}{settings}, {rounds} rounds, time since the fault) | median | min | max |");
        Console.WriteLine("|---|---|---|---|");
        Row(timelines, "the kill (or stop) call returned", t => t.Down);
        if (fault == LeaderFault.KillController)
        {
            Row(timelines, "a new controller active", t => t.NewController ?? TimeSpan.Zero);
        }
        if (fault == LeaderFault.Kill)
        {
            // The only fault whose reset a controller sees: a frozen node's stream stays open, a dead controller's is its own.
            Row(timelines, "the controller saw the heartbeat stream reset", t => t.ResetNoticed ?? TimeSpan.Zero);
        }
        Row(timelines, "fence decided", t => t.Committed - t.Commit);
        Row(timelines, "fence and new leaders committed (on the controller)", t => t.Committed);
        Row(timelines, "new leader in another node's Metadata", t => t.Visible);
        Row(timelines, "new leader serving (took its role)", t => t.Serving);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fenced for a reset stream in {timelines.Count(t => t.FencedForReset)} of {timelines.Count} rounds; commit took median {Medians.Of(timelines, t => t.Commit.TotalMilliseconds):F0} ms"));
        return 0;
    }

    private static void Row(List<FailoverTimeline> timelines, string step, Func<FailoverTimeline, TimeSpan> time) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {step} | {Medians.Of(timelines, t => time(t).TotalMilliseconds):F0} ms | {timelines.Min(t => time(t).TotalMilliseconds):F0} ms | {timelines.Max(t => time(t).TotalMilliseconds):F0} ms |"));

    /// <summary>Creates the topic and waits until every node's metadata shows it led everywhere with full ISRs.</summary>
    private static async Task CreateTopicAsync(LocalCluster cluster, string topic)
    {
        using (var channel = GrpcChannel.ForAddress(cluster.Nodes[0].Address))
        {
            var spec = new TopicSpec { Name = topic, Partitions = 6, ReplicationFactor = 3, Configs = { ["min.insync.replicas"] = "2" } };
            var result = (await new AdminService.AdminServiceClient(channel).CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } }, deadline: DateTime.UtcNow + _patience)).Results[0];
            if (result.ErrorCode != ErrorCode.None)
            {
                throw new InvalidOperationException($"create topic: {result.ErrorCode} {result.ErrorMessage}");
            }
        }
        await WaitAsync(cluster, m => m.Topics is [{ Partitions: { Count: 6 } partitions }] && partitions.All(p => p.LeaderId > 0 && p.IsrIds.Count == 3), $"{topic} led with full ISRs", topic);
    }

    /// <summary>Polls every node's metadata until <paramref name="done"/> holds on all of them.</summary>
    private static async Task WaitAsync(LocalCluster cluster, Func<MetadataResponse, bool> done, string what, string? topic = null)
    {
        var clock = Stopwatch.StartNew();
        foreach (var node in cluster.Nodes)
        {
            using var channel = GrpcChannel.ForAddress(node.Address);
            var admin = new AdminService.AdminServiceClient(channel);
            var request = new MetadataRequest();
            if (topic is not null)
            {
                request.Topics.Add(topic);
            }
            while (!done(await admin.MetadataAsync(request, deadline: DateTime.UtcNow + _patience)))
            {
                if (clock.Elapsed > _patience)
                {
                    throw new TimeoutException($"not within {_patience.TotalSeconds} s: {what}");
                }
                await Task.Delay(20);
            }
        }
    }
}
