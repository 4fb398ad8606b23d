using LogCluster.LogNode.Storage;
using LogCluster.LogNode.Telemetry;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>
/// The controller's duties, done only on the node that leads the metadata quorum: registering nodes, fencing
/// the ones whose heartbeats stop or whose process is gone (and electing new leaders for their partitions),
/// creating and deleting topics, accepting ISR changes and handing out producer-id blocks. Every decision reads
/// the current image and proposes records; <see cref="_writes"/> serialises them, so each decision sees the one
/// before it.
/// A node that is not the controller throws <see cref="NotControllerException"/> from every method.
/// </summary>
internal sealed class ActiveController(IMetadataQuorum quorum, NodeIdentity self, ControllerSettings settings, NodeMetrics metrics, TimeProvider time, ILogger<ActiveController> logger) : IDisposable
{
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly NodeSessions _sessions = new(settings, time);

    /// <summary>Set while this node leads and its duties run: heartbeats are answered only then.</summary>
    private volatile CancellationTokenSource? _leading;

    /// <summary>
    /// While this node leads: fences nodes silent for the session timeout, and nodes whose heartbeat stream was reset
    /// and not replaced within the dead-node grace. Every node counts as just heard from when leadership starts, as
    /// in KRaft, so a new controller does not fence nodes that were talking to the old one.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        // Duties that failed start over under the same leadership: that is not a new election.
        CancellationToken counted = default;
        while (!stopping.IsCancellationRequested)
        {
            CancellationToken leadership;
            try
            {
                leadership = await quorum.WaitForLeadershipAsync(stopping).ConfigureAwait(false);
            }
            catch (NotControllerException)
            {
                await Task.Delay(settings.HeartbeatInterval, time, stopping).ConfigureAwait(false);
                continue;
            }
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(stopping, leadership);
            _sessions.StartSessions(quorum.Image.Nodes.Keys);
            _leading = leading;
            NodeLog.ControllerActivated(logger, quorum.Image.Nodes.Count);
            if (leadership != counted)
            {
                metrics.BecameController();
                counted = leadership;
            }
            try
            {
                while (true)
                {
                    await FenceExpiredNodesAsync(leading.Token).ConfigureAwait(false);
                    await Task.Delay(_sessions.UntilNextCheck(settings.HeartbeatInterval / 2), time, leading.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or NotControllerException)
            {
                // Leadership ended (or the node stops): wait to lead again.
            }
            catch (Exception e)
            {
                // A proposal failed in a way the quorum did not classify: the controller's duties must outlive it
                // (a failed background service stops the whole node), so log and start the duties over.
                NodeLog.ControllerDutyFailed(logger, e);
            }
            finally
            {
                _leading = null;
            }
        }
    }

    /// <summary>
    /// The one fencing path, whatever the reason: in one entry the node is fenced, leaves every ISR, and each
    /// partition it led gets the first live ISR member as leader with the leader epoch bumped.
    /// </summary>
    private async Task FenceExpiredNodesAsync(CancellationToken cancellationToken)
    {
        foreach (var node in quorum.Image.LiveNodes.ToList())
        {
            // The node running this loop is alive: a heartbeat of its own that is late (a stalled process) does not
            // make it dead, and fencing itself would take its partitions offline with nobody left to notice.
            if (node.NodeId == self.NodeId || _sessions.Expired(node.NodeId) is not { } reason)
            {
                continue;
            }
            var decided = time.GetTimestamp();
            var partitions = 0;
            var proposed = await WriteAsync(image =>
            {
                if (!image.Nodes.TryGetValue(node.NodeId, out var current) || current.Fenced)
                {
                    return [];
                }
                var changes = PartitionElections.WithoutNode(image, node.NodeId).Select(Record).ToList();
                partitions = changes.Count;
                return [Fence(node.NodeId), .. changes];
            }, cancellationToken).ConfigureAwait(false);
            if (!proposed)
            {
                continue;
            }
            var commitMs = time.GetElapsedTime(decided).TotalMilliseconds;
            if (reason == FenceReason.StreamReset)
            {
                NodeLog.DeadNodeFenced(logger, node.NodeId, settings.DeadNodeGrace.TotalMilliseconds, partitions, commitMs);
            }
            else
            {
                NodeLog.NodeFenced(logger, node.NodeId, settings.SessionTimeout.TotalMilliseconds, partitions, commitMs);
            }
        }
    }

    /// <summary>An id for a heartbeat stream that has just opened, to name it in <see cref="HeartbeatAsync"/> and <see cref="HeartbeatStreamReset"/>.</summary>
    public long NewHeartbeatStream() => _sessions.NewStream();

    /// <summary>
    /// A node's heartbeat stream was reset (it cancelled it, or its connection closed). If that stream carried the
    /// node's latest heartbeat, the node is fenced unless it heartbeats again within the dead-node grace.
    /// </summary>
    public void HeartbeatStreamReset(int nodeId, long stream)
    {
        if (_leading is { IsCancellationRequested: false } && _sessions.StreamReset(nodeId, stream))
        {
            NodeLog.HeartbeatStreamReset(logger, nodeId, settings.DeadNodeGrace.TotalMilliseconds);
        }
    }

    /// <summary>
    /// A node says it is alive, on heartbeat stream <paramref name="stream"/> (null: a unary heartbeat). A new node,
    /// a changed endpoint, a fenced node or a restarted one (new incarnation) is registered again; a restarted node
    /// first leaves every ISR, since it may have lost an unflushed tail.
    /// </summary>
    public async Task HeartbeatAsync(NodeHeartbeatRequest request, long? stream, CancellationToken cancellationToken)
    {
        // Checked before the image: a node keeping a stream open to a former controller must hear that it moved.
        if (_leading is not { IsCancellationRequested: false })
        {
            throw new NotControllerException("this node is not the active controller");
        }
        _sessions.Heard(request.NodeId, stream);
        if (IsCurrent(quorum.Image, request))
        {
            return;
        }
        await WriteAsync(image =>
        {
            if (IsCurrent(image, request))
            {
                return [];
            }
            var records = new List<MetadataRecord>();
            if (image.Nodes.TryGetValue(request.NodeId, out var previous) && previous.Incarnation != request.Incarnation)
            {
                records.AddRange(PartitionElections.WithoutNode(image, request.NodeId).Select(Record));
                image = records.Aggregate(image, (i, r) => i.Apply(r));
            }
            var registration = new MetadataRecord
            {
                RegisterNode = new NodeRegistration
                {
                    NodeId = request.NodeId,
                    Host = request.Host,
                    Port = request.Port,
                    Incarnation = request.Incarnation,
                    ExternalHost = request.ExternalHost,
                    ExternalPort = request.ExternalPort,
                    KafkaHost = request.KafkaHost,
                    KafkaPort = request.KafkaPort,
                },
            };
            records.Add(registration);
            records.AddRange(PartitionElections.WithNodeBack(image.Apply(registration), request.NodeId).Select(Record));
            NodeLog.NodeRegistered(logger, request.NodeId, request.Host, request.Port);
            return records;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsCurrent(ClusterImage image, NodeHeartbeatRequest request) =>
        image.Nodes.TryGetValue(request.NodeId, out var known)
        && !known.Fenced && known.Host == request.Host && known.Port == request.Port && known.Incarnation == request.Incarnation
        && known.ExternalHost == request.ExternalHost && known.ExternalPort == request.ExternalPort
        && known.KafkaHost == request.KafkaHost && known.KafkaPort == request.KafkaPort;

    public async Task<AlterPartitionResponse> AlterPartitionAsync(AlterPartitionRequest request, CancellationToken cancellationToken)
    {
        var response = new AlterPartitionResponse();
        await WriteAsync(image =>
        {
            var (change, error, message) = PartitionElections.AlterIsr(image, request);
            (response.ErrorCode, response.ErrorMessage) = (error, message);
            return change is null ? [] : [Record(change)];
        }, cancellationToken).ConfigureAwait(false);
        if (quorum.Image.FindPartition(request.Topic, request.Partition) is { } now)
        {
            (response.LeaderEpoch, response.PartitionEpoch) = (now.LeaderEpoch, now.PartitionEpoch);
            response.Isr.Add(now.Isr);
        }
        return response;
    }

    public async Task<CreateTopicsResponse> CreateTopicsAsync(CreateTopicsRequest request, CancellationToken cancellationToken)
    {
        var response = new CreateTopicsResponse();
        foreach (var spec in request.Topics)
        {
            var result = new TopicResult { Name = spec.Name };
            await WriteAsync(image =>
            {
                if (spec.TopicId.Length > 0 && image.Topics.TryGetValue(spec.Name, out var existing) && existing.TopicId == spec.TopicId)
                {
                    // This very create, committed by an earlier attempt whose answer was lost.
                    (result.ErrorCode, result.ErrorMessage) = (ErrorCode.None, string.Empty);
                    return [];
                }
                (result.ErrorCode, result.ErrorMessage) = Validate(image, spec);
                if (result.ErrorCode != ErrorCode.None || request.ValidateOnly)
                {
                    return [];
                }
                var live = image.LiveNodes.Select(n => n.NodeId).ToList();
                var assignment = ReplicaAssignment.Assign(spec.Partitions, spec.ReplicationFactor, live, Random.Shared.Next(live.Count));
                var topic = new TopicRecord { Name = spec.Name, TopicId = spec.TopicId.Length > 0 ? spec.TopicId : Guid.NewGuid().ToString("N") };
                topic.Configs.Add(spec.Configs);
                for (var p = 0; p < assignment.Length; p++)
                {
                    var partition = new PartitionRecord { Topic = spec.Name, Partition = p, Leader = assignment[p][0] };
                    partition.Replicas.Add(assignment[p]);
                    partition.Isr.Add(assignment[p]);
                    topic.Partitions.Add(partition);
                }
                return [new MetadataRecord { CreateTopic = topic }];
            }, cancellationToken).ConfigureAwait(false);
            response.Results.Add(result);
        }
        return response;
    }

    private (ErrorCode, string) Validate(ClusterImage image, TopicSpec spec)
    {
        if (TopicNames.Problem(spec.Name) is { } nameProblem)
        {
            return (ErrorCode.InvalidTopic, nameProblem);
        }
        // A topic id is a fresh GUID: anything else could name an older incarnation of the topic.
        if (spec.TopicId.Length > 0 && !Guid.TryParseExact(spec.TopicId, "N", out _))
        {
            return (ErrorCode.InvalidRequest, $"topic_id must be a GUID of 32 hex digits, got '{spec.TopicId}'");
        }
        if (spec.Partitions < 1 || spec.Partitions > LogManager.MaxPartitions)
        {
            return (ErrorCode.InvalidPartitions, $"partitions must be in [1, {LogManager.MaxPartitions}], got {spec.Partitions}");
        }
        var live = image.LiveNodes.Count();
        if (spec.ReplicationFactor < 1 || spec.ReplicationFactor > live)
        {
            return (ErrorCode.InvalidReplicationFactor, $"replication factor must be in [1, {live}] (the live nodes), got {spec.ReplicationFactor}");
        }
        try
        {
            _ = settings.TopicDefaults.With(spec.Configs);
        }
        catch (ArgumentException e)
        {
            return (ErrorCode.InvalidConfig, e.Message);
        }
        return image.Topics.ContainsKey(spec.Name) ? (ErrorCode.TopicAlreadyExists, $"topic '{spec.Name}' already exists") : (ErrorCode.None, string.Empty);
    }

    public async Task<DeleteTopicsResponse> DeleteTopicsAsync(DeleteTopicsRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteTopicsResponse();
        foreach (var name in request.Names)
        {
            var result = new TopicResult { Name = name };
            await WriteAsync(image =>
            {
                if (!image.Topics.TryGetValue(name, out var topic))
                {
                    (result.ErrorCode, result.ErrorMessage) = (ErrorCode.UnknownTopicOrPartition, $"topic '{name}' does not exist");
                    return [];
                }
                return [new MetadataRecord { DeleteTopic = new TopicDeletion { Name = name, TopicId = topic.TopicId } }];
            }, cancellationToken).ConfigureAwait(false);
            response.Results.Add(result);
        }
        return response;
    }

    /// <summary>The next block of producer ids for a node; blocks are in the metadata log, so ids stay unique across controllers and restarts.</summary>
    public async Task<AllocateProducerIdsResponse> AllocateProducerIdsAsync(AllocateProducerIdsRequest request, CancellationToken cancellationToken)
    {
        var response = new AllocateProducerIdsResponse { Size = ControllerSettings.ProducerIdBlockSize };
        await WriteAsync(image =>
        {
            response.FirstId = image.NextProducerId;
            return [new MetadataRecord { AllocateProducerIds = new ProducerIdBlock { NodeId = request.NodeId, FirstId = image.NextProducerId, Size = ControllerSettings.ProducerIdBlockSize } }];
        }, cancellationToken).ConfigureAwait(false);
        return response;
    }

    /// <summary>
    /// Decides on the current image and proposes the result, one decision at a time. Returns whether there was
    /// anything to propose (then it is committed and applied here).
    /// </summary>
    private async Task<bool> WriteAsync(Func<ClusterImage, IReadOnlyList<MetadataRecord>> decide, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _ = await quorum.WaitForLeadershipAsync(cancellationToken).ConfigureAwait(false);
            var records = decide(quorum.Image);
            if (records.Count > 0)
            {
                await quorum.ProposeAsync(records, cancellationToken).ConfigureAwait(false);
            }
            return records.Count > 0;
        }
        finally
        {
            _writes.Release();
        }
    }

    public void Dispose() => _writes.Dispose();

    private static MetadataRecord Record(PartitionRecord change) => new() { ChangePartition = change };

    private static MetadataRecord Fence(int nodeId) => new() { FenceNode = new NodeFencing { NodeId = nodeId, Fenced = true } };
}
