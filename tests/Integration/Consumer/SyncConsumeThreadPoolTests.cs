using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using LogCluster.Consumer;
using LogCluster.Producer;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Consumer;

/// <summary>
/// Synchronous consuming where applications do it: <c>Consume(TimeSpan)</c> on thread-pool threads (a hosted
/// service's <c>Task.Run</c>, a request handler) while the other pool threads are blocked in synchronous calls too,
/// with the pool as the runtime sets it up (no minimum raised here or in the SDK). The pool starts only a few
/// callers at a time and adds threads slowly; what the SDK owes each caller is that a Consume call with records
/// to read returns them without any pool thread's help, and that a group member's heartbeats go on meanwhile.
/// </summary>
[Collection(ThreadPoolBlockingCollection.Name)]
public sealed class SyncConsumeThreadPoolTests(NodeFixture fixture, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _runTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The most a Consume call may take while records wait to be read.</summary>
    private static readonly TimeSpan _prompt = TimeSpan.FromSeconds(1);

    private string Bootstrap => $"127.0.0.1:{fixture.Node.Port}";

    [Fact]
    public async Task Consume_From64PoolThreadsEachWithItsOwnConsumer_EveryRecordReadAndEveryCallWithinASecond()
    {
        const string Topic = "sync-consume-pool";
        const int Callers = 64;
        const int Partitions = 8;
        const int PerPartition = 500;
        await fixture.Client.CreateTopicAsync(Topic, Partitions);
        await ProduceAsync(Topic, Partitions, PerPartition);

        var clock = Stopwatch.StartNew();
        var firstRecords = new ConcurrentBag<TimeSpan>();
        var slowestCalls = new ConcurrentBag<TimeSpan>();
        var lastStart = TimeSpan.Zero;
        void Caller(int caller)
        {
            var started = clock.Elapsed;
            var partition = caller % Partitions;
            using var consumer = new ConsumerBuilder<string?, string>(new ConsumerConfig { BootstrapServers = Bootstrap }).Build();
            consumer.Assign([new TopicPartitionOffset(Topic, partition, Offsets.Beginning)]);
            var slowest = TimeSpan.Zero;
            for (var offset = 0L; offset < PerPartition; offset++)
            {
                // Every call has a record waiting in the log; one that returns null is a failure, not a retry.
                var called = clock.Elapsed;
                var record = consumer.Consume(_runTimeout) ?? throw new TimeoutException($"caller {caller} read nothing at offset {offset}");
                var took = clock.Elapsed - called;
                slowest = took > slowest ? took : slowest;
                Assert.Equal((offset, $"{partition}-{offset}"), (record.Offset, record.Value));
                if (offset == 0)
                {
                    firstRecords.Add(clock.Elapsed - started);
                }
            }
            slowestCalls.Add(slowest);
            lock (slowestCalls)
            {
                lastStart = started > lastStart ? started : lastStart;
            }
        }

        var callers = Enumerable.Range(0, Callers).Select(c => Task.Run(() => Caller(c))).ToList();
        await Task.WhenAll(callers).WaitAsync(_runTimeout);

        output.WriteLine($"{Callers} pool callers, each with its own consumer, read {PerPartition} records each in {clock.Elapsed.TotalMilliseconds:F0} ms; " +
            $"slowest first record {firstRecords.Max().TotalMilliseconds:F0} ms after its caller started (median {Median(firstRecords).TotalMilliseconds:F0} ms), " +
            $"slowest Consume call {slowestCalls.Max().TotalMilliseconds:F0} ms, last caller started at {lastStart.TotalMilliseconds:F0} ms, {ThreadPool.ThreadCount} pool threads");
        Assert.Equal(Callers, slowestCalls.Count);
        Assert.True(firstRecords.Max() < _prompt, $"a caller waited {firstRecords.Max().TotalMilliseconds:F0} ms for its first record");
        Assert.True(slowestCalls.Max() < _prompt, $"a Consume call took {slowestCalls.Max().TotalMilliseconds:F0} ms with records waiting");
    }

    [Fact]
    public async Task Group_MemberConsumingOnThePoolWhileEveryPoolThreadIsBlockedPastTheSessionTimeout_StaysInTheGroup()
    {
        const string Topic = "sync-consume-pool-group";
        const int Partitions = 2;
        // More than the pool starts with (one per core) and adds in the time the test blocks it.
        var blockers = 64 + (2 * Environment.ProcessorCount);
        var sessionTimeout = TimeSpan.FromSeconds(2);
        await fixture.Client.CreateTopicAsync(Topic, Partitions);
        var assigned = 0;
        var revoked = 0;
        var config = new ConsumerConfig
        {
            BootstrapServers = Bootstrap,
            GroupId = "sync-consume-pool",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeout = sessionTimeout,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        };
        using var member = new ConsumerBuilder<string?, string>(config)
            .SetPartitionsAssignedHandler((_, _) => Interlocked.Increment(ref assigned))
            .SetPartitionsRevokedHandler((_, _) => Interlocked.Increment(ref revoked))
            .Build();
        member.Subscribe([Topic]);
        // Joined before the pool is blocked: the test is about staying, not joining.
        var joining = Stopwatch.StartNew();
        while (member.Assignment.Count < Partitions)
        {
            Assert.True(joining.Elapsed < _runTimeout, "the member was not given the partitions");
            Assert.Null(member.Consume(TimeSpan.FromMilliseconds(50)));
        }
        await using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = Bootstrap }).Build();

        // The member reads on a pool thread; then every pool thread there is, and every one the pool adds for a
        // while, is taken by a caller making synchronous sends to the member's topic for three session timeouts.
        var clock = Stopwatch.StartNew();
        var blockFor = 3 * sessionTimeout;
        var written = int.MaxValue;
        // When each record was read, and when its send was acknowledged: how long a record that was in the log
        // waited to be read, whatever the producer did meanwhile (it may pause, and before its first send it warms up).
        var read = new ConcurrentDictionary<string, TimeSpan>();
        var acknowledged = new ConcurrentDictionary<string, TimeSpan>();
        var reading = Task.Run(() =>
        {
            while (read.Count < Volatile.Read(ref written) && clock.Elapsed < _runTimeout)
            {
                if (member.Consume(TimeSpan.FromMilliseconds(100)) is { } record)
                {
                    read.TryAdd(record.Value, clock.Elapsed);
                }
            }
        });
        var sent = 0;
        var blocking = Enumerable.Range(0, blockers).Select(b => Task.Run(() =>
        {
            for (var i = 0; clock.Elapsed < blockFor; i++)
            {
                // Both partitions keep getting records: a long poll for one never holds up the other's records.
                producer.Send(new ProducerRecord<string?, string>(Topic, null, $"{b}-{i}") { Partition = (b + i) % Partitions }).GetAwaiter().GetResult();
                acknowledged[$"{b}-{i}"] = clock.Elapsed;
                Interlocked.Increment(ref sent);
            }
        })).ToList();
        var poolFree = Task.Run(() => clock.Elapsed);
        await Task.WhenAll(blocking).WaitAsync(_runTimeout);
        Volatile.Write(ref written, Volatile.Read(ref sent));
        await reading.WaitAsync(_runTimeout);
        var firstFreeThread = await poolFree.WaitAsync(_runTimeout);
        // Read before its acknowledgement reached the producer counts as no wait.
        var longestWait = acknowledged.Where(a => a.Value < blockFor).Select(a => read.TryGetValue(a.Key, out var at) ? at - a.Value : _runTimeout).DefaultIfEmpty().Max();

        output.WriteLine($"{blockers} pool callers sent {written} records synchronously for {blockFor.TotalMilliseconds:F0} ms; " +
            $"the pool first ran other work at {firstFreeThread.TotalMilliseconds:F0} ms (session.timeout.ms {sessionTimeout.TotalMilliseconds:F0}); " +
            $"the member read all {read.Count}, the longest a record sent meanwhile waited to be read after its acknowledgement {longestWait.TotalMilliseconds:F0} ms; " +
            $"assigned {assigned}, revoked {revoked}; {ThreadPool.ThreadCount} pool threads");
        Assert.True(firstFreeThread > sessionTimeout, $"the pool was free again after {firstFreeThread.TotalMilliseconds:F0} ms: it was not blocked past the session timeout");
        Assert.Equal((1, 0), (assigned, revoked));
        Assert.Equal(Partitions, member.Assignment.Count);
        Assert.True(longestWait < _prompt, $"a record waited {longestWait.TotalMilliseconds:F0} ms to be read after its send was acknowledged");
    }

    /// <summary>Writes <paramref name="perPartition"/> records to every partition, valued "{partition}-{offset}".</summary>
    private async Task ProduceAsync(string topic, int partitions, int perPartition)
    {
        await using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = Bootstrap }).Build();
        var sends = Enumerable.Range(0, perPartition).SelectMany(i => Enumerable.Range(0, partitions).Select(p =>
            producer.Send(new ProducerRecord<string?, string>(topic, null, string.Create(CultureInfo.InvariantCulture, $"{p}-{i}")) { Partition = p })));
        await Task.WhenAll(sends.ToList()).WaitAsync(_runTimeout);
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
