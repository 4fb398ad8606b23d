using LogCluster.Client;
using LogCluster.Consumer.Internals;
using LogCluster.Protocol.V1;

namespace LogCluster.Consumer;

// Consumer groups: subscribing, applying the coordinator's assignment on the application's thread, committing.
internal sealed partial class Consumer<TKey, TValue>
{
    private readonly GroupClient? _group;
    private readonly RebalanceHandlers<TKey, TValue> _handlers;
    private GroupMembership? _membership;
    private CancellationTokenSource? _membershipStop;
    private Task _membershipLoop = Task.CompletedTask;
    private readonly SemaphoreSlim _commits = new(1, 1);
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
        _membershipStop = new CancellationTokenSource();
        _membership = new GroupMembership(group, _config, subscription, () => Assignment, _time);
        var membership = _membership;
        var stop = _membershipStop.Token;
        _membershipLoop = Task.Run(() => membership.RunAsync(stop));
    }

    public void Unsubscribe()
    {
        if (_membership is null)
        {
            return;
        }
        RevokeAllAsync().GetAwaiter().GetResult();
        LeaveGroupAsync().GetAwaiter().GetResult();
        Subscription = [];
    }

    public void Commit() => CommitAsync().GetAwaiter().GetResult();

    public void Commit(IEnumerable<TopicPartitionOffset> offsets) => CommitAsync(offsets).GetAwaiter().GetResult();

    public Task CommitAsync(CancellationToken cancellationToken = default) => CommitAsync(Positions(), cancellationToken);

    public async Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default)
    {
        var group = _group ?? throw new InvalidOperationException("committing needs group.id");
        var request = new OffsetCommitRequest { GroupId = group.GroupId, MemberEpoch = -1 };
        if (_membership is not null)
        {
            (request.MemberId, request.MemberEpoch) = _membership.Member;
        }
        request.Partitions.Add(offsets.Select(o => new OffsetCommitPartition { Topic = o.TopicPartition.Topic, Partition = o.TopicPartition.Partition, Offset = o.Offset }));
        if (request.Partitions.Count == 0)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_config.RequestTimeout);
        OffsetCommitResponse response;
        // One commit at a time, in call order: an older commit must not land after a newer one.
        await _commits.WaitAsync(timeout.Token).ConfigureAwait(false);
        try
        {
            response = await group.CallAsync((client, options) => client.OffsetCommitAsync(request, options).ResponseAsync, r => r.ErrorCode, timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            _commits.Release();
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
        using var wait = new CancellationTokenSource(timeout);
        var committed = group.CommittedAsync(wanted, wait.Token).GetAwaiter().GetResult();
        return [.. wanted.Select(p => new TopicPartitionOffset(p, committed.GetValueOrDefault(p, -1) is var offset and >= 0 ? offset : Offsets.Unset))];
    }

    /// <summary>
    /// Brings the assignment to what the coordinator last gave: partitions taken away are committed (with
    /// enable.auto.commit), announced to the revoked handler, and released; new ones start at the committed
    /// offsets and are announced to the assigned handler. Then the coordinator hears at once.
    /// </summary>
    private async Task ApplyGroupAssignmentAsync()
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
                await CommitQuietlyAsync(Positions().Where(p => revoked.Contains(p.TopicPartition)), CancellationToken.None).ConfigureAwait(false);
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
    private async Task RevokeAllAsync()
    {
        var owned = Assignment;
        if (owned.Count == 0)
        {
            return;
        }
        if (_config.EnableAutoCommit)
        {
            await CommitQuietlyAsync(Positions(), CancellationToken.None).ConfigureAwait(false);
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
        _ = CommitQuietlyAsync(Positions(), CancellationToken.None);
    }

    /// <summary>A commit whose failure is not the application's to handle (auto commit): the next one covers it.</summary>
    private async Task CommitQuietlyAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken)
    {
        try
        {
            await CommitAsync(offsets.ToList(), cancellationToken).ConfigureAwait(false);
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

    private async Task CloseGroupAsync()
    {
        if (_membership is not null)
        {
            await RevokeAllAsync().ConfigureAwait(false);
        }
        else if (_group is not null && _config.EnableAutoCommit)
        {
            await CommitQuietlyAsync(Positions(), CancellationToken.None).ConfigureAwait(false);
        }
        await LeaveGroupAsync().ConfigureAwait(false);
    }

    private async Task LeaveGroupAsync()
    {
        if (_membership is not { } membership)
        {
            return;
        }
        await _membershipStop!.CancelAsync().ConfigureAwait(false);
        try
        {
            await _membershipLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The heartbeat loop ends by cancellation; whatever else ended it, leaving comes next.
        }
        using var timeout = new CancellationTokenSource(_config.RequestTimeout);
        try
        {
            await membership.LeaveAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LogClusterException or OperationCanceledException)
        {
            // Unreachable coordinator: the session timeout removes the member instead.
        }
        _membershipStop.Dispose();
        (_membership, _membershipStop, _appliedGroupAssignment) = (null, null, null);
    }
}
