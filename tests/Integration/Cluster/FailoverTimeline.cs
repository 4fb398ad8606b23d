using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Net.Client;
using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration.Cluster;

/// <summary>How a partition leader's death or freeze is noticed, fenced and replaced.</summary>
internal enum LeaderFault
{
    /// <summary>SIGKILL of a leader that is not the controller: the kernel closes the process's sockets.</summary>
    Kill,

    /// <summary>SIGKILL of a leader that is also the controller: a Raft election comes first.</summary>
    KillController,

    /// <summary>SIGSTOP of a leader that is not the controller: the process stays, its sockets open and silent.</summary>
    Freeze,
}

/// <summary>
/// One failover, step by step, each step as time since the fault: when the call that killed or froze the victim
/// returned (<see cref="LocalNode.KillAsync"/> stops the process, lists its children, kills it and waits for its
/// exit, so the process is frozen from the start of that call), when a new controller took over (only when the
/// controller was the victim), when the controller saw the victim's heartbeat stream reset (null if it never
/// did), when the fence and the new leaders were committed (and how long that commit took), when a node other
/// than the controller answered Metadata with the new leader, and when the new leader took its role. The nodes'
/// times come from their logs (UTC, to the millisecond; same machine, same clock); the metadata time is polled
/// every 5 ms. Shared by the cluster tests and the bench's failover command (bench/LogCluster.Bench links this file).
/// </summary>
internal sealed partial record FailoverTimeline(
    int Victim,
    int Controller,
    int Observer,
    int NewLeader,
    bool FencedForReset,
    TimeSpan Down,
    TimeSpan? NewController,
    TimeSpan? ResetNoticed,
    TimeSpan Committed,
    TimeSpan Commit,
    TimeSpan Visible,
    TimeSpan Serving)
{
    /// <summary>
    /// On <paramref name="cluster"/>, with <paramref name="topic"/> created with a replication factor of 3 and
    /// leaders on every node: kills or freezes the leader of one of its partitions, and times the failover until
    /// <paramref name="timeout"/>. The fault leaves the victim down (killed or frozen).
    /// </summary>
    public static async Task<FailoverTimeline> MeasureAsync(LocalCluster cluster, string topic, LeaderFault fault, TimeSpan timeout)
    {
        var metadata = await MetadataAsync(cluster.Nodes.First(n => n.IsRunning), topic, timeout);
        var controller = metadata.ControllerId;
        var partition = metadata.Topics.Single().Partitions.FirstOrDefault(p => p.LeaderId > 0 && (p.LeaderId == controller) == (fault == LeaderFault.KillController))
            ?? throw new InvalidOperationException($"no partition of {topic} suits a {fault} with node {controller} the controller");
        var victim = partition.LeaderId;
        var survivors = Enumerable.Range(1, cluster.Nodes.Count).Where(id => id != victim).Select(cluster.Node).ToList();
        // Not the controller, so that the metadata has to travel: the controller applies a record as it commits it.
        var observer = Enumerable.Range(1, cluster.Nodes.Count).First(id => id != victim && id != controller);

        var faultAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        if (fault == LeaderFault.Freeze)
        {
            await cluster.Node(victim).PauseAsync();
        }
        else
        {
            await cluster.Node(victim).KillAsync();
        }
        var down = clock.Elapsed;
        var (visible, newLeader) = await NewLeaderAsync(cluster.Node(observer), topic, partition.Partition, victim, clock, timeout);

        var fenced = await LoggedAsync(survivors, $"Fenced node {victim}:", faultAt, timeout);
        var serving = await LoggedAsync([cluster.Node(newLeader)], $"{topic}-{partition.Partition}: now leader at leader epoch", faultAt, timeout);
        var reset = Logged(survivors, $"The heartbeat stream of node {victim} was reset", faultAt);
        var newController = Logged(survivors, "This node is now the active controller", faultAt);
        return new FailoverTimeline(
            victim,
            controller,
            observer,
            newLeader,
            FencedForReset: fenced.Message.Contains("heartbeat stream was reset", StringComparison.Ordinal),
            down,
            newController?.At - faultAt,
            reset?.At - faultAt,
            fenced.At - faultAt,
            TimeSpan.FromMilliseconds(double.Parse(CommitTime().Match(fenced.Message).Groups[1].Value, CultureInfo.InvariantCulture)),
            visible,
            serving.At - faultAt);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"node {Victim} down in {Ms(Down)} (controller {Controller}): {(NewController is { } c ? $"new controller {Ms(c)}, " : "")}stream reset seen {(ResetNoticed is { } r ? Ms(r) : "never")}, " +
        $"fenced ({(FencedForReset ? "stream reset" : "session timeout")}) with new leaders committed {Ms(Committed)} (decided {Ms(Committed - Commit)}, commit took {Ms(Commit)}), " +
        $"new leader {NewLeader} in node {Observer}'s metadata {Ms(Visible)}, serving {Ms(Serving)} after the fault");

    private static string Ms(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds:F0} ms");

    private static async Task<MetadataResponse> MetadataAsync(LocalNode node, string topic, TimeSpan timeout)
    {
        using var channel = GrpcChannel.ForAddress(node.Address);
        return await new AdminService.AdminServiceClient(channel).MetadataAsync(new MetadataRequest { Topics = { topic } }, deadline: DateTime.UtcNow + timeout);
    }

    /// <summary>Polls <paramref name="observer"/>'s metadata every few milliseconds until the partition has a leader other than <paramref name="victim"/>.</summary>
    private static async Task<(TimeSpan At, int Leader)> NewLeaderAsync(LocalNode observer, string topic, int partition, int victim, Stopwatch clock, TimeSpan timeout)
    {
        using var channel = GrpcChannel.ForAddress(observer.Address);
        var admin = new AdminService.AdminServiceClient(channel);
        while (clock.Elapsed < timeout)
        {
            var response = await admin.MetadataAsync(new MetadataRequest { Topics = { topic } }, deadline: DateTime.UtcNow + timeout);
            var leader = response.Topics.Single().Partitions.Single(p => p.Partition == partition).LeaderId;
            if (leader > 0 && leader != victim)
            {
                return (clock.Elapsed, leader);
            }
            await Task.Delay(5);
        }
        throw new TimeoutException($"node {observer.Address} named no new leader for {topic}-{partition} within {timeout.TotalSeconds} s");
    }

    private static async Task<(DateTime At, string Message)> LoggedAsync(IReadOnlyList<LocalNode> nodes, string text, DateTime after, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Logged(nodes, text, after) is { } line)
            {
                return line;
            }
            await Task.Delay(10);
        }
        throw new TimeoutException($"no node logged '{text}' within {timeout.TotalSeconds} s:\n{string.Join("\n", nodes.Select(n => n.Output))}");
    }

    /// <summary>The earliest such message of any of <paramref name="nodes"/>.</summary>
    private static (DateTime At, string Message)? Logged(IEnumerable<LocalNode> nodes, string text, DateTime after) =>
        nodes.Select(n => Logged(n, text, after)).Where(l => l is not null).OrderBy(l => l!.Value.At).FirstOrDefault();

    /// <summary>
    /// The first message containing <paramref name="text"/> logged at or after <paramref name="after"/> (to the
    /// millisecond), with its time: the simple console logger writes a header "HH:mm:ss.fff level: Category[id]" in
    /// UTC and the message on the next line.
    /// </summary>
    private static (DateTime At, string Message)? Logged(LocalNode node, string text, DateTime after)
    {
        var lines = node.Output.Split('\n');
        for (var i = 1; i < lines.Length; i++)
        {
            if (!lines[i].Contains(text, StringComparison.Ordinal))
            {
                continue;
            }
            // Another stream's line can land between a header and its message: look back a little.
            for (var j = i - 1; j >= Math.Max(0, i - 3); j--)
            {
                if (Header().Match(lines[j]) is { Success: true } header)
                {
                    var at = after.Date + TimeSpan.ParseExact(header.Groups[1].Value, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
                    at = at < after - TimeSpan.FromHours(12) ? at.AddDays(1) : at;
                    if (at >= after.AddMilliseconds(-1))
                    {
                        return (at, lines[i]);
                    }
                    break;
                }
            }
        }
        return null;
    }

    [GeneratedRegex(@"^(\d\d:\d\d:\d\d\.\d\d\d) \w+: ")]
    private static partial Regex Header();

    [GeneratedRegex(@"committed in (\d+) ms")]
    private static partial Regex CommitTime();
}
