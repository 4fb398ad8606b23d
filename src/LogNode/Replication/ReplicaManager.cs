using System.Collections.Concurrent;
using LogCluster.LogNode.Cluster;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Storage;
using LogCluster.LogNode.Telemetry;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Replication;

/// <summary>
/// Makes this node's replicas follow the metadata log: creates and deletes local topics, makes each replica
/// leader or follower at the image's leader epoch, runs a <see cref="FollowerFetcher"/> per followed partition,
/// and proposes ISR changes its leaders see. Roles are taken only once this process's own registration is in
/// the image: until the controller has seen the restart, the node's old leaderships are not its to use.
/// </summary>
internal sealed class ReplicaManager(
    LogManager logs,
    IMetadataQuorum quorum,
    NodeIdentity self,
    ControllerClient controller,
    PeerChannels channels,
    ReplicationSettings settings,
    NodeMetrics metrics,
    TimeProvider time,
    ILogger<ReplicaManager> logger) : BackgroundService
{
    /// <summary>As Kafka's replica.high.watermark.checkpoint.interval.ms: a restart starts from at most this stale a high watermark.</summary>
    private static readonly TimeSpan _highWatermarkCheckpointInterval = TimeSpan.FromSeconds(5);
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<TopicPartition, PartitionReplica> _replicas = new();
    private readonly Dictionary<TopicPartition, (CancellationTokenSource Stop, int Epoch, int Leader)> _fetchers = [];
    private readonly ConcurrentDictionary<TopicPartition, byte> _isrProposals = new();
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClusterImage _applied = ClusterImage.Empty;
    private TaskCompletionSource _appliedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;

    public PartitionReplica? Find(string topic, int partition) => _replicas.GetValueOrDefault(new TopicPartition(topic, partition));

    /// <summary>Every partition this node holds a replica of, led or followed.</summary>
    public ICollection<PartitionReplica> Replicas => _replicas.Values;

    /// <summary>The last image whose topics and roles this node has taken on.</summary>
    public ClusterImage Applied => Volatile.Read(ref _applied);

    /// <summary>Completes at the next applied image.</summary>
    public Task NextApplied => Volatile.Read(ref _appliedSignal).Task;

    /// <summary>Completes once this process's registration is in the image: from then on the node serves its partitions.</summary>
    public Task Registered => _registered.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        quorum.ImageChanged += Apply;
        Apply(quorum.Image);
        try
        {
            using var timer = new PeriodicTimer(settings.IsrCheckInterval, time);
            var lastCheckpoint = time.GetTimestamp();
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                ProposeIsrChanges(stoppingToken);
                if (time.GetElapsedTime(lastCheckpoint) >= _highWatermarkCheckpointInterval)
                {
                    lastCheckpoint = time.GetTimestamp();
                    CheckpointHighWatermarks();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Node stopping.
        }
        finally
        {
            quorum.ImageChanged -= Apply;
            lock (_lock)
            {
                foreach (var fetcher in _fetchers.Values)
                {
                    fetcher.Stop.Cancel();
                }
                foreach (var replica in _replicas.Values)
                {
                    replica.Stop();
                }
            }
        }
    }

    private void CheckpointHighWatermarks()
    {
        foreach (var replica in _replicas.Values)
        {
            try
            {
                replica.Log.CheckpointHighWatermark();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // A deleted topic or a full disk: the next checkpoint (or the one at close) tries again.
            }
        }
    }

    private void Apply(ClusterImage image)
    {
        lock (_lock)
        {
            var previous = _applied;
            foreach (var gone in previous.Topics.Values.Where(t => !image.Topics.TryGetValue(t.Name, out var now) || now.TopicId != t.TopicId))
            {
                RemoveTopic(gone);
            }
            var registered = image.Nodes.TryGetValue(self.NodeId, out var me) && me.Incarnation == self.Incarnation && !me.Fenced;
            foreach (var topic in image.Topics.Values)
            {
                if (!topic.Partitions.Any(p => p.Replicas.Contains(self.NodeId)))
                {
                    continue;
                }
                var state = logs.EnsureTopic(topic.Name, topic.TopicId, topic.Partitions.Length, topic.Partitions[0].Replicas.Length, topic.Configs);
                foreach (var partition in topic.Partitions.Where(p => p.Replicas.Contains(self.NodeId)))
                {
                    var replica = _replicas.GetOrAdd(new TopicPartition(topic.Name, partition.Partition), _ => new PartitionReplica(state.Partitions[partition.Partition], self.NodeId));
                    if (registered && replica.Info != partition)
                    {
                        TakeRole(replica, partition, image);
                    }
                }
            }
            Volatile.Write(ref _applied, image);
            if (registered)
            {
                _registered.TrySetResult();
            }
            var signal = _appliedSignal;
            _appliedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
            signal.TrySetResult();
        }
    }

    private void TakeRole(PartitionReplica replica, PartitionInfo partition, ClusterImage image)
    {
        var id = replica.Log.Id;
        if (partition.Leader == self.NodeId)
        {
            // Counted by whoever leads after the change: the same leader at the same epoch, or the new leader of a
            // failover, whose ISR lost the old one (as this node saw it when following).
            if (replica.Info is { } before)
            {
                metrics.IsrChanged(partition.Topic, before.Isr.Length, partition.Isr.Length);
            }
            StopFetcher(id);
            replica.BecomeLeader(partition, time, settings.ReplicaLagTimeMax);
            ReplicationLog.RoleChanged(logger, id, "leader", partition.LeaderEpoch, string.Join(",", partition.Isr));
            return;
        }
        replica.BecomeFollower(partition);
        if (_fetchers.TryGetValue(id, out var running) && running.Epoch == partition.LeaderEpoch && running.Leader == partition.Leader)
        {
            return;
        }
        StopFetcher(id);
        ReplicationLog.RoleChanged(logger, id, $"follower of {partition.Leader}", partition.LeaderEpoch, string.Join(",", partition.Isr));
        if (partition.Leader != PartitionInfo.NoLeader && image.Nodes.TryGetValue(partition.Leader, out var leader))
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            _fetchers[id] = (stop, partition.LeaderEpoch, partition.Leader);
            var fetcher = new FollowerFetcher(replica, partition, leader, self.NodeId, channels, time, logger);
            _ = Task.Run(() => RunFetcherAsync(fetcher, stop), CancellationToken.None);
        }
    }

    private static async Task RunFetcherAsync(FollowerFetcher fetcher, CancellationTokenSource stop)
    {
        try
        {
            await fetcher.RunAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Replaced by a fetcher for a newer epoch, or the node stops.
        }
        catch (ObjectDisposedException)
        {
            // The topic was deleted under it.
        }
        finally
        {
            stop.Dispose();
        }
    }

    private void StopFetcher(TopicPartition id)
    {
        if (_fetchers.Remove(id, out var fetcher))
        {
            fetcher.Stop.Cancel();
        }
    }

    private void RemoveTopic(TopicInfo topic)
    {
        for (var p = 0; p < topic.Partitions.Length; p++)
        {
            var id = new TopicPartition(topic.Name, p);
            StopFetcher(id);
            if (_replicas.TryRemove(id, out var replica))
            {
                replica.Stop();
            }
        }
        logs.DeleteTopic(topic.Name);
    }

    /// <summary>Leaders propose the ISR they see (one proposal per partition at a time); the image brings the outcome.</summary>
    private void ProposeIsrChanges(CancellationToken stopping)
    {
        foreach (var replica in _replicas.Values)
        {
            if (replica.IsrChange() is not { } change || !_isrProposals.TryAdd(replica.Log.Id, 0))
            {
                continue;
            }
            ReplicationLog.IsrProposed(logger, replica.Log.Id, string.Join(",", change.Isr));
            var request = new AlterPartitionRequest
            {
                LeaderId = self.NodeId,
                Topic = change.Info.Topic,
                Partition = change.Info.Partition,
                LeaderEpoch = change.Info.LeaderEpoch,
                PartitionEpoch = change.Info.PartitionEpoch,
                NewIsr = { change.Isr },
            };
            _ = ProposeAsync(replica.Log.Id, request, stopping);
        }
    }

    private async Task ProposeAsync(TopicPartition id, AlterPartitionRequest request, CancellationToken stopping)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await controller.CallAsync(
                (client, options) => client.AlterPartitionAsync(request, options).ResponseAsync,
                response => response.ErrorCode,
                TimeSpan.FromSeconds(2),
                timeout.Token).ConfigureAwait(false);
            // Accepted or refused, the image tells the outcome; wait for it before proposing again.
            await NextApplied.WaitAsync(TimeSpan.FromSeconds(1), time, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // No controller reachable (this node may be cut off): the ISR stays as it is, so acks=all waits.
        }
        finally
        {
            _isrProposals.TryRemove(id, out _);
        }
    }
}
