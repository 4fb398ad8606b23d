using LogCluster.Client;
using LogCluster.Client.Transport;
using LogCluster.Consumer.Internals;
using LogCluster.Protocol.V1;

namespace LogCluster.Consumer;

// Consumer groups: subscribing, applying the coordinator's assignment on the application's thread, committing.
// A method taking `sync` serves a blocking call (Consume(TimeSpan), Unsubscribe, Dispose) and its asynchronous
// twin: with sync it blocks on the SDK's work, woken by the SDK thread that ends it (no pool thread needed), and
// is complete when it returns; without, it awaits that work with its continuation on the pool (SdkTasks).
internal sealed partial class Consumer<TKey, TValue>
{
    private readonly GroupClient? _group;
    private readonly RebalanceHandlers<TKey, TValue> _handlers;

    /// <summary>Volatile: the consumer's thread heartbeats for it.</summary>
    private volatile GroupMembership? _membership;
    private readonly Lock _commitOrder = new();

    /// <summary>Ends once the commit asked for last has ended: the next one waits for it.</summary>
    private Task _lastCommit = Task.CompletedTask;
    private IReadOnlySet<TopicPartition>? _appliedGroupAssignment;
    private long _lastAutoCommit;

    public IReadOnlyList<string> Subscription { get; private set; } = [];

    public void Subscribe(IEnumerable<string> topics)
    {
        var group = _group ?? throw new InvalidOperationException("Subscribe needs group.id: the group's coordinator assigns the partitions");
        var subscription = topics.Distinct(StringComparer.Ordinal).ToList();
        if (subscription.Count == 0)
        {
            throw new ArgumentException("subscribe to at least one topic; Unsubscribe to stop", nameof(topics));
        }
        Unsubscribe();
        Subscription = subscription;
        _membership = new GroupMembership(group, _config, subscription, () => Assignment, _time, _ready.Set, _wakeLoop);
        _wakeLoop.Set();
    }

    public void Unsubscribe()
    {
        if (_membership is null)
        {
            return;
        }
        RevokeAllAsync(sync: true).GetAwaiter().GetResult();
        LeaveGroupAsync(sync: true).GetAwaiter().GetResult();
        Subscription = [];
    }

    public void Commit() => CommitCoreAsync(Positions(), CancellationToken.None).GetAwaiter().GetResult();

    public void Commit(IEnumerable<TopicPartitionOffset> offsets) => CommitCoreAsync(offsets, CancellationToken.None).GetAwaiter().GetResult();

    public Task CommitAsync(CancellationToken cancellationToken = default) => CommitAsync(Positions(), cancellationToken);

    public Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default) =>
        CommitCoreAsync(offsets, cancellationToken).ForCaller();

    /// <summary>
    /// One commit at a time, in call order: an older commit must not land after a newer one. Ends inline on the SDK
    /// thread that ends it: callers wait for it through <see cref="SdkTasks"/> or by blocking.
    /// </summary>
    private async Task CommitCoreAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken)
    {
        var group = _group ?? throw new InvalidOperationException("committing needs group.id");
        var request = new OffsetCommitRequest { GroupId = group.GroupId, MemberEpoch = -1 };
        if (_membership is { } membership)
        {
            (request.MemberId, request.MemberEpoch) = membership.Member;
        }
        request.Partitions.Add(offsets.Select(o => new OffsetCommitPartition { Topic = o.TopicPartition.Topic, Partition = o.TopicPartition.Partition, Offset = o.Offset }));
        if (request.Partitions.Count == 0)
        {
            return;
        }
        // On the SDK's timer thread: a pool timer would not fire while the pool is blocked.
        using var timeout = new CancellationTokenSource(_config.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var done = new TaskCompletionSource();
        Task previous;
        lock (_commitOrder)
        {
            (previous, _lastCommit) = (_lastCommit, done.Task);
        }
        OffsetCommitResponse response;
        try
        {
            await previous.WaitAsync(linked.Token).ContinueInline();
            response = await group.CallAsync((client, options) => client.OffsetCommitAsync(request, options).ResponseAsync, r => r.ErrorCode, linked.Token).ContinueInline();
        }
        finally
        {
            // The next commit waits for this one, and for the ones before it too if this one gave up waiting.
            _ = previous.ContinueWith(static (_, state) => ((TaskCompletionSource)state!).TrySetResult(), done, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        if (response.ErrorCode != ErrorCode.None)
        {
            throw new LogClusterException(response.ErrorCode, $"group '{group.GroupId}' did not store the commit: {response.ErrorMessage}");
        }
    }

    public IReadOnlyList<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout)
    {
        var group = _group ?? throw new InvalidOperationException("committed offsets need group.id");
        var wanted = partitions.ToList();
        using var wait = new CancellationTokenSource(timeout, _time);
        var committed = group.CommittedAsync(wanted, wait.Token).GetAwaiter().GetResult();
        return [.. wanted.Select(p => new TopicPartitionOffset(p, committed.GetValueOrDefault(p, -1) is var offset and >= 0 ? offset : Offsets.Unset))];
    }

    /// <summary>
    /// Brings the assignment to what the coordinator last gave: partitions taken away are committed (with
    /// enable.auto.commit), announced to the revoked handler, and released; new ones start at the committed
    /// offsets and are announced to the assigned handler. Then the coordinator hears at once.
    /// </summary>
    private async Task ApplyGroupAssignmentAsync(bool sync)
    {
        if (_membership is not { } membership)
        {
            return;
        }
        if (membership.TakeLost())
        {
            // The coordinator forgot this member: its partitions may be read by another already. No commit (it
            // would be refused); the revoked handler hears of them, as Kafka's onPartitionsLost defaults to.
            var lost = Assignment;
            SetAssignment([]);
            _appliedGroupAssignment = null;
            if (lost.Count > 0)
            {
                _handlers.Revoked?.Invoke(this, lost);
            }
        }
        // Until Applied, the membership reports this assignment as held, so none of it goes to another member mid-apply.
        var (latest, number) = membership.Latest;
        if (latest is not { } target || ReferenceEquals(target, _appliedGroupAssignment))
        {
            return;
        }
        var owned = Assignment;
        var revoked = owned.Where(p => !target.Contains(p)).ToList();
        var added = target.Where(p => !owned.Contains(p)).OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition).ToList();
        if (revoked.Count > 0)
        {
            // Not the caller's token: a short Consume timeout must not release a partition uncommitted.
            if (_config.EnableAutoCommit)
            {
                await SdkTasks.WaitAsync(CommitQuietlyAsync(Positions().Where(p => revoked.Contains(p.TopicPartition))), sync).ConfigureAwait(false);
            }
            _handlers.Revoked?.Invoke(this, revoked);
        }
        SetAssignment(target.Select(p => new TopicPartitionOffset(p, Offsets.Unset)));
        _appliedGroupAssignment = target;
        membership.Applied(number);
        membership.BeatNow();
        _metrics.Rebalanced();
        if (added.Count > 0)
        {
            _handlers.Assigned?.Invoke(this, added);
        }
    }

    /// <summary>Before leaving: commit the positions (with enable.auto.commit) and tell the revoked handler, as a rebalance would.</summary>
    private async Task RevokeAllAsync(bool sync)
    {
        var owned = Assignment;
        if (owned.Count == 0)
        {
            return;
        }
        if (_config.EnableAutoCommit)
        {
            await SdkTasks.WaitAsync(CommitQuietlyAsync(Positions()), sync).ConfigureAwait(false);
        }
        _handlers.Revoked?.Invoke(this, owned);
        SetAssignment([]);
    }

    private void AutoCommitIfDue()
    {
        if (_group is null || !_config.EnableAutoCommit || _time.GetElapsedTime(_lastAutoCommit) < _config.AutoCommitInterval)
        {
            return;
        }
        _lastAutoCommit = _time.GetTimestamp();
        // Positions count what Consume already returned, so the application processed it: at least once.
        _ = CommitQuietlyAsync(Positions());
    }

    /// <summary>A commit whose failure is not the application's to handle (auto commit): the next one covers it. Never throws.</summary>
    private async Task CommitQuietlyAsync(IEnumerable<TopicPartitionOffset> offsets)
    {
        try
        {
            await CommitCoreAsync(offsets.ToList(), CancellationToken.None).ContinueInline();
        }
        catch (Exception e) when (e is LogClusterException or OperationCanceledException or ObjectDisposedException)
        {
            // Retried by the next auto commit; records after the last stored commit are read again after a move.
        }
    }

    /// <summary>Every assigned partition's position, where it is known.</summary>
    private List<TopicPartitionOffset> Positions()
    {
        lock (_assignment.Lock)
        {
            return [.. _assignment.Partitions.Values.Where(s => s.Position >= 0).Select(s => new TopicPartitionOffset(s.Partition, s.Position))];
        }
    }

    private async Task CloseGroupAsync(bool sync)
    {
        try
        {
            if (_membership is not null)
            {
                await RevokeAllAsync(sync).ConfigureAwait(false);
            }
            else if (_group is not null && _config.EnableAutoCommit)
            {
                await SdkTasks.WaitAsync(CommitQuietlyAsync(Positions()), sync).ConfigureAwait(false);
            }
        }
        finally
        {
            // Also when the revoked handler threw: a member that stays until its session expires holds its
            // partitions from the rest of the group for session.timeout.ms.
            await LeaveGroupAsync(sync).ConfigureAwait(false);
        }
    }

    private async Task LeaveGroupAsync(bool sync)
    {
        if (_membership is not { } membership)
        {
            return;
        }
        // No heartbeat after the leave: one could make the coordinator take the member back.
        await SdkTasks.WaitAsync(membership.Stop(), sync).ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(_config.RequestTimeout, _time);
        try
        {
            await SdkTasks.WaitAsync(membership.LeaveAsync(timeout.Token), sync).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LogClusterException or OperationCanceledException)
        {
            // Unreachable coordinator: the session timeout removes the member instead.
        }
        membership.Dispose();
        (_membership, _appliedGroupAssignment) = (null, null);
    }
}
