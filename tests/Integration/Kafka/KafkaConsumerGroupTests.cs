using System.Collections.Concurrent;
using Confluent.Kafka;
using LogCluster.Tests.Integration.Cluster;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Kafka;

/// <summary>
/// Confluent.Kafka's consumers in a group, with Kafka's consumer group protocol (<c>group.protocol=consumer</c>,
/// KIP-848) and with the classic one (JoinGroup/SyncGroup, the assignor in the client), on our one group
/// coordinator: they split the partitions, commit, and when a member leaves its partitions move to the others,
/// which go on from the committed offsets; and a group shared by a Kafka client and our SDK's consumer.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class KafkaConsumerGroupTests(ITestOutputHelper output)
{
    private const int Partitions = 6;
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(GroupProtocol.Consumer)]
    [InlineData(GroupProtocol.Classic)]
    public async Task ThreeMembers_SplitSixPartitions_AndTakeOverALeavingMembersPartitionsFromItsCommits(GroupProtocol protocol)
    {
        var topic = $"{protocol}-orders".ToLowerInvariant();
        var group = $"{protocol}-group".ToLowerInvariant();
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync(topic, Partitions, replicationFactor: 3);
        await ProduceAsync(rig, topic, 0, 3_000);

        var changes = new StateChanges();
        var members = Enumerable.Range(1, 3).Select(i => new Member(rig.KafkaBootstrap, group, topic, $"member-{i}", protocol, changes)).ToList();
        var state = () => string.Join("; ", members.Select(m => m.State));
        try
        {
            // Every member gets two partitions, and together they read the first 3,000 records.
            await UntilAsync(() => members.All(m => m.Assigned.Count == 2) && members.Sum(m => m.Read.Count) >= 3_000, changes, state, "each member holds 2 partitions and all 3,000 records are read");
            var assignments = members.Select(m => m.Assigned.Keys.Order().ToList()).ToList();
            output.WriteLine(string.Join("; ", members.Select((m, i) => $"{m.Name}: {string.Join(",", assignments[i])}")));
            Assert.Equal(Enumerable.Range(0, Partitions), assignments.SelectMany(a => a).Order());

            // A member leaves after committing what it read; the others take its partitions from its commits.
            var leaving = members[0];
            await leaving.StopAsync();
            members.RemoveAt(0);
            await ProduceAsync(rig, topic, 3_000, 3_000);
            await UntilAsync(() => members.Sum(m => m.Assigned.Count) == Partitions && members.Sum(m => m.Read.Count) + leaving.Read.Count >= 6_000, changes, state, "the other two hold all 6 partitions and every record is read");

            var all = members.SelectMany(m => m.Read).Concat(leaving.Read).ToList();
            // Nothing committed is read twice or skipped: each record once.
            Assert.Equal(Enumerable.Range(0, 6_000).Select(i => $"{i}").Order(), all.Select(r => r.Value).Order());
        }
        finally
        {
            foreach (var member in members)
            {
                await member.StopAsync();
            }
        }
    }

    [Theory]
    [InlineData(GroupProtocol.Consumer)]
    [InlineData(GroupProtocol.Classic)]
    public async Task AMemberKilled_ItsPartitionsMoveToTheOthers_AndNothingCommittedIsSkipped(GroupProtocol protocol)
    {
        var topic = $"{protocol}-killed".ToLowerInvariant();
        var group = $"{protocol}-killed-group".ToLowerInvariant();
        // Sessions of 6 s (the classic members ask for it; consumer-protocol members get the node's), so a killed
        // member's partitions move within the test's patience.
        await using var rig = await ClusterRig.StartWithKafkaAsync("--group-consumer-session-timeout-ms", "6000", "--group-consumer-heartbeat-interval-ms", "500", "--group-initial-rebalance-delay-ms", "500");
        await rig.CreateTopicAsync(topic, Partitions, replicationFactor: 3);
        await ProduceAsync(rig, topic, 0, 3_000);
        var changes = new StateChanges();
        var members = new List<MemberProcess>();
        var state = () => string.Join("; ", members.Select(m => m.State));
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                members.Add(MemberProcess.Start(rig.KafkaBootstrap, group, topic, protocol, $"member-{i}", changes));
            }
            await UntilAsync(() => members.All(m => m.Assigned.Count == 2) && members.SelectMany(m => m.Values).Distinct().Count() >= 3_000, changes, state, "each member process holds 2 partitions and all 3,000 records are read");

            var killed = members[0];
            killed.Kill();
            await ProduceAsync(rig, topic, 3_000, 3_000);
            var survivors = members.Skip(1).ToList();
            await UntilAsync(() => survivors.Sum(m => m.Assigned.Count) == Partitions && members.SelectMany(m => m.Values).Distinct().Count() >= 6_000, changes, state, "the two survivors hold all 6 partitions and every record is read");

            var read = members.SelectMany(m => m.Values).ToList();
            Assert.Equal(Enumerable.Range(0, 6_000).Select(i => $"{i}").Order(), read.Distinct().Order());
            // The survivors went on from the killed member's commits (one per record), not from the beginning: only
            // what it read after its last commit can be read twice.
            Assert.True(read.Count - 6_000 <= 10, $"{read.Count - 6_000} records read twice");
            output.WriteLine($"{protocol}: {killed.Name} killed holding [{string.Join(",", killed.Assigned.Keys)}]; survivors took them over; {read.Count - 6_000} records read twice (read by the killed member after its last commit)");
        }
        finally
        {
            members.ForEach(m => m.Kill());
        }
    }

    [Fact]
    public async Task OurConsumerAndAConfluentConsumer_ShareOneGroup_EachHoldingHalfThePartitions()
    {
        const string Topic = "shared-group-orders";
        const string Group = "shared-group";
        const int Records = 3_000;
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync(Topic, Partitions, replicationFactor: 3);
        await ProduceAsync(rig, Topic, 0, Records);

        var changes = new StateChanges();
        var theirs = new Member(rig.KafkaBootstrap, Group, Topic, "librdkafka-member", GroupProtocol.Consumer, changes);
        await using var ours = new LogCluster.Consumer.ConsumerBuilder<string, string>(new LogCluster.Consumer.ConsumerConfig
        {
            BootstrapServers = rig.Cluster.BootstrapServers,
            GroupId = Group,
            EnableAutoCommit = false,
            AutoOffsetReset = LogCluster.Consumer.AutoOffsetReset.Earliest,
        }).Build();
        ours.Subscribe([Topic]);
        var oursRead = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var loop = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (ours.Consume(TimeSpan.FromMilliseconds(100)) is { } record)
                {
                    oursRead.Enqueue(record.Value);
                    ours.Commit();
                }
                // Our consumer's assignment changes without a callback here: each turn of its loop is a change to look at.
                changes.Pulse();
            }
        }, TaskCreationOptions.LongRunning);
        try
        {
            await UntilAsync(
                () => theirs.Assigned.Count == Partitions / 2 && ours.Assignment.Count == Partitions / 2 && theirs.Read.Count + oursRead.Count >= Records,
                changes,
                () => $"{theirs.State}; ours holds [{string.Join(",", ours.Assignment.Select(p => p.Partition))}], read {oursRead.Count}",
                $"each consumer holds {Partitions / 2} partitions and all {Records} records are read");
            Assert.Equal(Enumerable.Range(0, Partitions), theirs.Assigned.Keys.Concat(ours.Assignment.Select(p => p.Partition)).Order());
            Assert.Equal(Enumerable.Range(0, Records).Select(i => $"{i}").Order(), theirs.Read.Select(r => r.Value).Concat(oursRead).Order());
        }
        finally
        {
            await stop.CancelAsync();
            await loop.WaitAsync(_timeout);
            await theirs.StopAsync();
        }
    }

    private static async Task ProduceAsync(ClusterRig rig, string topic, int from, int count)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = rig.KafkaBootstrap, EnableIdempotence = true }).Build();
        await Task.WhenAll(Enumerable.Range(from, count).Select(i => producer.ProduceAsync(new TopicPartition(topic, i % Partitions), new Message<Null, string> { Value = $"{i}" }))).WaitAsync(_timeout);
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, looking again at each change the members report (no polling
    /// interval); fails after the test's patience with <paramref name="state"/>, what every member holds and read.
    /// </summary>
    private async Task UntilAsync(Func<bool> condition, StateChanges changes, Func<string> state, string what)
    {
        using var timeout = new CancellationTokenSource(_timeout);
        while (true)
        {
            // Taken before the look, so a change during it still wakes the wait.
            var next = changes.Next;
            if (condition())
            {
                break;
            }
            try
            {
                await next.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"not within {_timeout.TotalSeconds} s: {what}; {state()}");
            }
        }
        output.WriteLine(what);
    }

    /// <summary>Wakes a waiting test whenever a member's assignment or reads change.</summary>
    private sealed class StateChanges
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Next => Volatile.Read(ref _next).Task;

        public void Pulse() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>One group member on a thread of its own: consumes, commits after each record, and records what it read.</summary>
    private sealed class Member
    {
        private readonly IConsumer<Null, string> _consumer;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private readonly StateChanges _changes;

        public Member(string bootstrap, string group, string topic, string name, GroupProtocol protocol, StateChanges changes)
        {
            Name = name;
            _changes = changes;
            _consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = group,
                GroupProtocol = protocol,
                // The classic protocol's assignor runs in the client: cooperative, so a rebalance moves only what must move.
                PartitionAssignmentStrategy = protocol == GroupProtocol.Classic ? PartitionAssignmentStrategy.CooperativeSticky : null,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
                ClientId = name,
            })
            .SetPartitionsAssignedHandler((consumer, partitions) => Changed(() => partitions.ForEach(p => Assigned[p.Partition.Value] = 0)))
            .SetPartitionsRevokedHandler((consumer, partitions) => Changed(() => partitions.ForEach(p => Assigned.TryRemove(p.Partition.Value, out _))))
            .SetPartitionsLostHandler((consumer, partitions) => Changed(() => partitions.ForEach(p => Assigned.TryRemove(p.Partition.Value, out _))))
            .SetErrorHandler((consumer, error) => Errors.Enqueue(error.ToString()))
            .Build();
            _consumer.Subscribe(topic);
            _loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);
        }

        public string Name { get; }

        public ConcurrentDictionary<int, byte> Assigned { get; } = new();

        public ConcurrentQueue<(int Partition, long Offset, string Value)> Read { get; } = new();

        public ConcurrentQueue<string> Errors { get; } = new();

        public string State => $"{Name} holds [{string.Join(",", Assigned.Keys)}], read {Read.Count}, errors: {string.Join(" | ", Errors)}";

        public async Task StopAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await _stop.CancelAsync();
                await _loop.WaitAsync(_timeout);
                _consumer.Close();
                _consumer.Dispose();
            }
        }

        private void Run()
        {
            while (!_stop.IsCancellationRequested)
            {
                if (_consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
                {
                    Changed(() => Read.Enqueue((result.Partition.Value, result.Offset.Value, result.Message.Value)));
                    try
                    {
                        _consumer.Commit(result);
                    }
                    catch (KafkaException e) when (e.Error.Code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration)
                    {
                        // As an application does: the commit waits for the next record; the partition stays this member's.
                        Errors.Enqueue($"commit: {e.Error}");
                    }
                }
            }
        }

        private void Changed(Action change)
        {
            change();
            _changes.Pulse();
        }
    }

    /// <summary>A group member in a process of its own (tests/KafkaMember), so that it can be SIGKILLed: no goodbye, no last commit.</summary>
    private sealed class MemberProcess
    {
        private bool _killed;
        private readonly System.Diagnostics.Process _process;
        private readonly System.Text.StringBuilder _errors = new();

        private readonly StateChanges _changes;

        private MemberProcess(System.Diagnostics.Process process, string name, StateChanges changes)
        {
            (_process, Name, _changes) = (process, name, changes);
        }

        public string Name { get; }

        public ConcurrentDictionary<int, byte> Assigned { get; } = new();

        public ConcurrentQueue<string> Values { get; } = new();

        public string State => $"{Name} holds [{string.Join(",", Assigned.Keys)}], read {Values.Count}, stderr: {Errors}";

        public string Errors
        {
            get
            {
                lock (_errors)
                {
                    return _errors.ToString();
                }
            }
        }

        public static MemberProcess Start(string bootstrap, string group, string topic, GroupProtocol protocol, string name, StateChanges changes)
        {
            // Standard input stays open while the test runs: the member exits when it closes (the test host died).
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "LogCluster.Tests.KafkaMember.dll"), bootstrap, group, topic, protocol == GroupProtocol.Consumer ? "consumer" : "classic" })
            {
                start.ArgumentList.Add(arg);
            }
            var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("the member process did not start");
            var member = new MemberProcess(process, name, changes);
            process.OutputDataReceived += (_, line) => member.Take(line.Data);
            process.ErrorDataReceived += (_, line) =>
            {
                lock (member._errors)
                {
                    member._errors.AppendLine(line.Data);
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return member;
        }

        /// <summary>SIGKILL: the member vanishes without leaving the group or committing.</summary>
        public void Kill()
        {
            if (_killed)
            {
                return;
            }
            _killed = true;
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            _process.Dispose();
        }

        private void Take(string? line)
        {
            var parts = line?.Split(' ') ?? [];
            switch (parts)
            {
                case ["assigned", var list]:
                    list.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList().ForEach(p => Assigned[int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)] = 0);
                    break;
                case ["revoked", var list]:
                    list.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList().ForEach(p => Assigned.TryRemove(int.Parse(p, System.Globalization.CultureInfo.InvariantCulture), out _));
                    break;
                case ["read", _, _, var value]:
                    Values.Enqueue(value);
                    break;
                default:
                    return;
            }
            _changes.Pulse();
        }
    }
}
