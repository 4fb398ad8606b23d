using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using LogCluster.Producer;
using LogCluster.Tests.Integration.Cluster;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Producer;

/// <summary>
/// An idempotent acks=all producer under load while the leader of some of its partitions stops answering: it
/// must move to the new leader as soon as the controller has elected one, fail no record, and leave every
/// acknowledged record in the log once and in send order.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class ProducerFailoverTests(ITestOutputHelper output)
{
    private const int Partitions = 3;

    /// <summary>The nodes' --session-timeout-ms default: silence after which the controller fences a node.</summary>
    private static readonly TimeSpan _sessionTimeout = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task Send_LeaderFrozenFor60Seconds_ResumesOnTheNewLeaderWithinTheSessionTimeoutAndLosesNothing()
    {
        await using var rig = await ClusterRig.StartAsync();
        await SilenceALeaderUnderLoadAsync(rig, "failover-frozen", "frozen", TimeSpan.FromSeconds(60),
            silence: node => rig.Cluster.Node(node).PauseAsync(),
            restore: node => rig.Cluster.Node(node).ResumeAsync());
    }

    [Fact]
    public async Task Send_LeaderCutOffByTheNetworkFor30Seconds_ResumesOnTheNewLeaderWithinTheSessionTimeoutAndLosesNothing()
    {
        // Nodes and this producer on hosts of their own (network namespaces); the leader's links to its peers are
        // dropped, while the producer still reaches it and its requests there go unanswered.
        await using var rig = await ClusterRig.StartInNetworkNamespacesAsync();
        await SilenceALeaderUnderLoadAsync(rig, "failover-cut-off", "cut off from its peers", TimeSpan.FromSeconds(30),
            silence: node =>
            {
                rig.Isolate(node);
                return Task.CompletedTask;
            },
            restore: node =>
            {
                rig.Reconnect(node);
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// Under load, silences the leader of some partitions (one that is not the active controller: when it is,
    /// Raft first elects a new controller, which then gives every node a whole session before fencing, a longer
    /// timeline of its own, docs/replication.md) for <paramref name="duration"/>, then restores it. The producer
    /// must be acknowledged on those partitions again within the session timeout plus 0.5 s, fail nothing, and
    /// leave every acknowledged record in the log once and in order.
    /// </summary>
    private async Task SilenceALeaderUnderLoadAsync(ClusterRig rig, string topic, string what, TimeSpan duration, Func<int, Task> silence, Func<int, Task> restore)
    {
        await rig.CreateTopicAsync(topic, Partitions, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var before = await rig.DescribeAsync(topic);
        var controllerId = await rig.ControllerIdAsync();
        var silencedId = before.Partitions.Select(p => p.LeaderId).First(id => id != controllerId);
        var affected = before.Partitions.Where(p => p.LeaderId == silencedId).Select(p => p.Partition).ToHashSet();
        var load = new Load(NewProducer(rig), topic);
        var sending = load.RunAsync();
        await load.AcknowledgedAsync(2_000);

        var silenced = Stopwatch.GetTimestamp();
        await silence(silencedId);
        // Only records sent once the fault is in place count (the node may still answer what reached it before);
        // the time is still counted from the start of the fault.
        var inPlace = Stopwatch.GetTimestamp();
        var resumed = (await load.FirstAcknowledgedAfterAsync(inPlace, affected, TimeSpan.FromSeconds(30))
            ?? throw new Xunit.Sdk.XunitException($"no record of partitions {string.Join(",", affected)} acknowledged within 30 s of the node being {what}\n{rig.Logs}"))
            + Stopwatch.GetElapsedTime(silenced, inPlace);
        output.WriteLine($"node {silencedId} {what} (controller: node {controllerId}); its partitions {string.Join(",", affected)} acknowledged again {resumed.TotalMilliseconds:F0} ms later");
        // Keep the load on for the rest of the fault: nothing may fail or wait on the silent node.
        var rest = duration - Stopwatch.GetElapsedTime(silenced);
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest);
        }
        await restore(silencedId);
        var acknowledged = await load.StopAsync(sending);

        Assert.True(resumed < _sessionTimeout + TimeSpan.FromMilliseconds(500), $"resumed after {resumed.TotalMilliseconds:F0} ms\n{rig.Logs}");
        Assert.Empty(load.Failures);
        await AssertLogHoldsOnceInOrderAsync(rig, topic, acknowledged);
    }

    /// <summary>An idempotent acks=all producer (the defaults) that reaches the nodes the way the rig does.</summary>
    private static IProducer<string, string> NewProducer(ClusterRig rig) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = string.Join(',', rig.Cluster.Nodes.Select(n => $"{n.Host}:{n.Port}")),
            SocketFactory = rig.ClientSocketFactory,
        }).Build();

    [Fact]
    public async Task Send_LeaderSigkilledUnderLoad_FirstAcknowledgementOnItsPartitionsWithinASecondMedianOver10Rounds()
    {
        const string Topic = "failover-killed";
        const int Rounds = 10;
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, Partitions, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var load = new Load(NewProducer(rig), Topic);
        var sending = load.RunAsync();
        var switches = new List<TimeSpan>();
        for (var round = 1; round <= Rounds; round++)
        {
            await rig.WaitForAsync(Topic, t => t.Partitions.All(p => p.IsrIds.Count == 3 && p.LeaderId > 0), "every replica in the ISR");
            await load.AcknowledgedAsync(load.Acknowledged + 1_000);
            var layout = await rig.DescribeAsync(Topic);
            // A leader that is not the active controller: the controller's own death adds a Raft election and a
            // full session before fencing (docs/replication.md), a timeline of its own.
            var controllerId = await rig.ControllerIdAsync();
            var victimId = layout.Partitions.Select(p => p.LeaderId).First(id => id != controllerId);
            var affected = layout.Partitions.Where(p => p.LeaderId == victimId).Select(p => p.Partition).ToHashSet();
            var victim = rig.Cluster.Node(victimId);

            var kill = Stopwatch.GetTimestamp();
            await victim.KillAsync();
            // Only records sent once the process is gone count: the kill takes a while, and the victim may still
            // acknowledge what reached it before it died.
            var dead = Stopwatch.GetTimestamp();
            var newLeader = await rig.WaitForAsync(Topic, t => affected.All(p => t.Partitions[p].LeaderId is > 0 && t.Partitions[p].LeaderId != victimId), "new leaders");
            var resumed = (await load.FirstAcknowledgedAfterAsync(dead, affected, TimeSpan.FromSeconds(30))
                ?? throw new Xunit.Sdk.XunitException($"no record of partitions {string.Join(",", affected)} acknowledged within 30 s of the kill\n{rig.Logs}"))
                + Stopwatch.GetElapsedTime(kill, dead);
            switches.Add(resumed);
            output.WriteLine($"round {round}: node {victimId} (partitions {string.Join(",", affected)}) killed; new leaders in metadata after {newLeader.TotalMilliseconds:F0} ms, producer acknowledged there after {resumed.TotalMilliseconds:F0} ms");
            await victim.StartAsync();
        }
        var acknowledged = await load.StopAsync(sending);

        var median = switches.Order().ElementAt(Rounds / 2);
        output.WriteLine($"median first acknowledgement after the kill: {median.TotalMilliseconds:F0} ms over {Rounds} rounds");
        Assert.True(median < TimeSpan.FromSeconds(1), $"median {median.TotalMilliseconds:F0} ms\n{rig.Logs}");
        Assert.Empty(load.Failures);
        await AssertLogHoldsOnceInOrderAsync(rig, Topic, acknowledged);
    }

    /// <summary>Every acknowledged record is at the offset its send reported, nothing else is there twice, and each partition is in send order.</summary>
    private async Task AssertLogHoldsOnceInOrderAsync(ClusterRig rig, string topic, IReadOnlyList<(int Partition, long Offset, int Sequence)> acknowledged)
    {
        for (var partition = 0; partition < Partitions; partition++)
        {
            var log = await rig.ReadAsync(topic, partition);
            var sequences = log.Select(r => int.Parse(Encoding.UTF8.GetString(r.Value), CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(sequences.Distinct().Count(), sequences.Count);
            Assert.Equal(sequences.Order(), sequences);
            var byOffset = log.ToDictionary(r => r.Offset, r => Encoding.UTF8.GetString(r.Value));
            foreach (var (_, offset, sequence) in acknowledged.Where(a => a.Partition == partition))
            {
                Assert.Equal(sequence.ToString(CultureInfo.InvariantCulture), byOffset[offset]);
            }
            output.WriteLine($"partition {partition}: {log.Count} records, every acknowledged one once and in order");
        }
    }

    /// <summary>Async sends round-robin over the partitions, at most 2,000 unanswered, with each outcome's time.</summary>
    private sealed class Load(IProducer<string, string> producer, string topic)
    {
        private readonly ConcurrentQueue<(int Partition, long Offset, int Sequence, long SentAt, long AckedAt)> _acks = new();
        private readonly CancellationTokenSource _stop = new();

        public ConcurrentQueue<Exception> Failures { get; } = new();

        public async Task RunAsync()
        {
            var outstanding = new Queue<Task>();
            for (var sequence = 0; !_stop.IsCancellationRequested; sequence++)
            {
                var sentAt = Stopwatch.GetTimestamp();
                var seq = sequence;
                outstanding.Enqueue(producer.Send(new ProducerRecord<string, string>(topic, null!, seq.ToString(CultureInfo.InvariantCulture)) { Partition = seq % Partitions })
                    .ContinueWith(t =>
                    {
                        if (t.IsCompletedSuccessfully)
                        {
                            _acks.Enqueue((t.Result.Partition, t.Result.Offset, seq, sentAt, Stopwatch.GetTimestamp()));
                        }
                        else
                        {
                            Failures.Enqueue(t.Exception?.InnerException ?? new OperationCanceledException());
                        }
                    }, TaskScheduler.Default));
                if (outstanding.Count >= 2_000)
                {
                    await outstanding.Dequeue().WaitAsync(TimeSpan.FromSeconds(120));
                }
            }
            await Task.WhenAll(outstanding).WaitAsync(TimeSpan.FromSeconds(120));
        }

        public int Acknowledged => _acks.Count;

        public async Task AcknowledgedAsync(int count)
        {
            var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
            while (_acks.Count < count)
            {
                Assert.True(Stopwatch.GetTimestamp() < deadline, $"only {_acks.Count} records acknowledged");
                await Task.Delay(10);
            }
        }

        /// <summary>How long after <paramref name="since"/> the first record sent after it, to one of <paramref name="partitions"/>, was acknowledged; null if none within <paramref name="timeout"/>.</summary>
        public async Task<TimeSpan?> FirstAcknowledgedAfterAsync(long since, HashSet<int> partitions, TimeSpan timeout)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                var first = _acks.Where(a => a.SentAt > since && partitions.Contains(a.Partition)).Select(a => a.AckedAt).DefaultIfEmpty(long.MaxValue).Min();
                if (first != long.MaxValue)
                {
                    return Stopwatch.GetElapsedTime(since, first);
                }
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    return null;
                }
                await Task.Delay(10);
            }
        }

        public async Task<IReadOnlyList<(int Partition, long Offset, int Sequence)>> StopAsync(Task sending)
        {
            await _stop.CancelAsync();
            await sending.WaitAsync(TimeSpan.FromSeconds(150));
            await producer.DisposeAsync();
            return [.. _acks.Select(a => (a.Partition, a.Offset, a.Sequence))];
        }
    }
}
