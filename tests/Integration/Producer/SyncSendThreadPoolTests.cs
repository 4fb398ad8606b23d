using System.Collections.Concurrent;
using System.Diagnostics;
using LogCluster.Producer;
using LogCluster.Tests.Integration.Cluster;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Producer;

/// <summary>
/// Synchronous sends where applications make them: an ASP.NET request handler or a <c>Task.Run</c> on a
/// thread-pool thread calling <c>Send(record).GetAwaiter().GetResult()</c>, with the pool as the runtime sets it up
/// (no minimum raised here or in the SDK). The pool starts only a few callers at a time and adds threads slowly;
/// what the SDK owes each of them is that once it sends, its acknowledgement comes without any pool thread's help:
/// within a second of its first send, and the whole run finishes instead of stalling (before the SDK had its own
/// I/O threads, the same run did not finish in two minutes). The run on dedicated threads is printed beside it.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class SyncSendThreadPoolTests(NodeFixture fixture, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    private const int Callers = 256;
    private const int SendsPerCaller = 20;
    private static readonly TimeSpan _runTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task SyncSends_From256PoolThreads_EveryCallerAcknowledgedWithinASecond()
    {
        const string Topic = "sync-pool-callers";
        await fixture.Client.CreateTopicAsync(Topic, partitions: 4);

        var dedicated = await RunAsync(Topic, onPool: false);
        var pool = await RunAsync(Topic, onPool: true);

        output.WriteLine($"dedicated threads: {dedicated}");
        output.WriteLine($"pool threads:      {pool}");
        output.WriteLine($"pool/dedicated run time: {pool.Total / dedicated.Total:F2}");
        Assert.True(pool.SlowestFirstAck < TimeSpan.FromSeconds(1), $"a pool caller waited {pool.SlowestFirstAck.TotalMilliseconds:F0} ms for its first acknowledgement");
        var log = await fixture.Client.ReadAllAsync(Topic, 4);
        Assert.Equal(2 * Callers * SendsPerCaller, log.Values.Sum(p => p.Count));
    }

    [Fact]
    public async Task Flush_From256PoolThreadsEachAfterAsyncSends_EveryFlushReturnsTrue()
    {
        const string Topic = "flush-pool-callers";
        await fixture.Client.CreateTopicAsync(Topic, partitions: 4);
        var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = $"127.0.0.1:{fixture.Node.Port}" }).Build();
        var flushes = new ConcurrentBag<TimeSpan>();
        // Started as an application starts it (the first send of a process also compiles the producer's code paths).
        await producer.Send(new ProducerRecord<string, string>(Topic, "warm-up", "warm-up")).WaitAsync(_runTimeout);

        var callers = Enumerable.Range(0, Callers).Select(c => Task.Run(() =>
        {
            var sends = Enumerable.Range(0, SendsPerCaller).Select(i => producer.Send(new ProducerRecord<string, string>(Topic, $"caller-{c}", $"{c}-{i}"))).ToList();
            var started = Stopwatch.GetTimestamp();
            Assert.True(producer.Flush(TimeSpan.FromSeconds(30)), "a flush timed out");
            flushes.Add(Stopwatch.GetElapsedTime(started));
            Assert.All(sends, s => Assert.True(s.IsCompletedSuccessfully));
        })).ToList();
        await Task.WhenAll(callers).WaitAsync(_runTimeout);
        // Closed from a pool thread too, the way a request handler's scope disposes it.
        await Task.Run(producer.Dispose).WaitAsync(_runTimeout);

        output.WriteLine($"{Callers} pool callers: slowest flush {flushes.Max().TotalMilliseconds:F0} ms, median {flushes.Order().ElementAt(flushes.Count / 2).TotalMilliseconds:F0} ms");
        Assert.True(flushes.Max() < TimeSpan.FromSeconds(1), $"a flush took {flushes.Max().TotalMilliseconds:F0} ms");
        Assert.Equal((Callers * SendsPerCaller) + 1, (await fixture.Client.ReadAllAsync(Topic, 4)).Values.Sum(p => p.Count));
    }

    [Fact]
    public async Task SyncSends_From64PoolThreadsToA3NodeClusterWithAcksAll_AllAcknowledged()
    {
        const string Topic = "sync-pool-cluster";
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, partitions: 3, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var bootstrap = string.Join(',', rig.Cluster.Nodes.Select(n => $"127.0.0.1:{n.Port}"));
        await using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All }).Build();
        // Started as an application starts it: the producer id (a Raft write on a new cluster) is not the callers' wait.
        await producer.Send(new ProducerRecord<string, string>(Topic, "warm-up", "warm-up")).WaitAsync(_runTimeout);

        var run = await RunCallersAsync(producer, Topic, callers: 64, onPool: true);

        output.WriteLine($"3 nodes, acks=all, pool threads: {run}");
        Assert.True(run.SlowestFirstAck < TimeSpan.FromSeconds(1), $"a pool caller waited {run.SlowestFirstAck.TotalMilliseconds:F0} ms for its first acknowledgement");
        var stored = 0;
        for (var partition = 0; partition < 3; partition++)
        {
            stored += (await rig.ReadAsync(Topic, partition)).Count;
        }
        Assert.Equal((64 * SendsPerCaller) + 1, stored);
    }

    private async Task<Run> RunAsync(string topic, bool onPool)
    {
        await using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = $"127.0.0.1:{fixture.Node.Port}" }).Build();
        return await RunCallersAsync(producer, topic, Callers, onPool);
    }

    /// <summary>
    /// <paramref name="callers"/> callers each making <see cref="SendsPerCaller"/> sync sends, on pool threads or
    /// threads of their own; measures each caller's first acknowledgement from the moment that caller started.
    /// </summary>
    private static async Task<Run> RunCallersAsync(IProducer<string, string> producer, string topic, int callers, bool onPool)
    {
        var firstAcks = new ConcurrentBag<TimeSpan>();
        var lastStart = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        void Caller(int caller)
        {
            var started = clock.Elapsed;
            for (var i = 0; i < SendsPerCaller; i++)
            {
                producer.Send(new ProducerRecord<string, string>(topic, $"caller-{caller}", $"{(onPool ? "pool" : "thread")}-{caller}-{i}")).GetAwaiter().GetResult();
                if (i == 0)
                {
                    firstAcks.Add(clock.Elapsed - started);
                }
            }
            lock (firstAcks)
            {
                lastStart = started > lastStart ? started : lastStart;
            }
        }
        var tasks = onPool
            ? Enumerable.Range(0, callers).Select(c => Task.Run(() => Caller(c))).ToList()
            : Enumerable.Range(0, callers).Select(c => Task.Factory.StartNew(() => Caller(c), TaskCreationOptions.LongRunning)).ToList();
        await Task.WhenAll(tasks).WaitAsync(_runTimeout);
        return new Run(callers, clock.Elapsed, firstAcks.Max(), lastStart, ThreadPool.ThreadCount);
    }

    private sealed record Run(int Callers, TimeSpan Total, TimeSpan SlowestFirstAck, TimeSpan LastCallerStarted, int PoolThreads)
    {
        public override string ToString() =>
            $"{Callers} callers x {SendsPerCaller} sync sends in {Total.TotalMilliseconds:F0} ms ({Callers * SendsPerCaller / Total.TotalSeconds:F0}/s), " +
            $"slowest first ack {SlowestFirstAck.TotalMilliseconds:F0} ms after its caller started, last caller started at {LastCallerStarted.TotalMilliseconds:F0} ms, {PoolThreads} pool threads";
    }
}
