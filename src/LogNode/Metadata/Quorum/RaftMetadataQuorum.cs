using System.Globalization;
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Google.Protobuf;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Metadata.Quorum;

/// <summary>
/// <see cref="IMetadataQuorum"/> on DotNext.Net.Cluster's Raft: TCP transport on this voter's endpoint, static
/// membership from the voter list, a <see cref="WriteAheadLog"/> under <c>metadataDirectory/wal</c> and the
/// <see cref="MetadataStateMachine"/> with its snapshots under <c>metadataDirectory/snapshots</c>.
/// docs/architecture.md ("Metadata quorum (Raft)") says why this library and why these settings.
/// </summary>
/// <remarks>
/// Threading: <see cref="StartAsync"/> and <see cref="DisposeAsync"/> are called once each, not concurrently
/// with each other; everything else may be called from any thread once started. <see cref="ImageChanged"/> is
/// raised on the WAL's applier; <see cref="ControllerChanged"/> on the library's thread that saw the change, one
/// at a time and in order. A handler that throws is logged and ignored: the log must go on being applied.
/// </remarks>
internal sealed class RaftMetadataQuorum : IMetadataQuorum
{
    /// <summary>
    /// Entries between snapshots. A metadata entry is small (a topic with its partitions, a fencing and the
    /// leader changes it causes: bytes to a few KiB), so 1000 entries keep the WAL replayed at start-up, and the
    /// catch-up of a member that missed them, to a few MiB; a snapshot writes the whole image, so taking them
    /// much more often would write more than it saves. (Kafka snapshots its metadata log every 20 MB.)
    /// </summary>
    public const int DefaultSnapshotIntervalEntries = 1000;

    private const int NoController = -1;
    private const int New = 0, Started = 1, Disposed = 2;
    private static readonly TimeSpan _stopTimeout = TimeSpan.FromSeconds(5);

    private readonly int _nodeId;
    private readonly IReadOnlyList<QuorumVoter> _voters;
    private readonly QuorumVoter _self;
    private readonly string _directory;
    private readonly RaftTimeouts _timeouts;
    private readonly int _snapshotIntervalEntries;
    private readonly ILoggerFactory _libraryLoggerFactory;
    private readonly ILogger _logger;
    private readonly Lock _controllerLock = new();
    private volatile ClusterImage _image = ClusterImage.Empty;
    private volatile int _controllerId = NoController;
    private int _state;
    private MetadataStateMachine? _stateMachine;
    private WriteAheadLog? _wal;
    private InMemoryClusterConfigurationStorage<EndPoint>? _membership;
    private RaftCluster? _cluster;

    /// <param name="nodeId">This node; must be one of <paramref name="voters"/>, whose endpoint the Raft listener binds.</param>
    /// <param name="voters">Every voter, the same list on every node (<see cref="QuorumVoters.Parse"/>).</param>
    /// <param name="metadataDirectory">This node's metadata log, e.g. <c>&lt;data-dir&gt;/meta/raft</c>.</param>
    /// <param name="timeouts">Election, request and connect timeouts; <see cref="RaftTimeouts.Default"/> for production.</param>
    /// <param name="loggerFactory">The node's loggers; the library's go through <see cref="LibraryLoggerFactory"/>.</param>
    /// <param name="snapshotIntervalEntries">Entries between snapshots (<see cref="DefaultSnapshotIntervalEntries"/>); tests lower it.</param>
    /// <param name="libraryLogLevel">The floor for DotNext's own logs (<see cref="LibraryLoggerFactory"/>).</param>
    public RaftMetadataQuorum(
        int nodeId,
        IReadOnlyList<QuorumVoter> voters,
        string metadataDirectory,
        RaftTimeouts timeouts,
        ILoggerFactory loggerFactory,
        int snapshotIntervalEntries = DefaultSnapshotIntervalEntries,
        LogLevel libraryLogLevel = LogLevel.Error)
    {
        QuorumVoters.Validate(voters);
        ArgumentException.ThrowIfNullOrWhiteSpace(metadataDirectory);
        ArgumentNullException.ThrowIfNull(timeouts);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshotIntervalEntries, 1);
        _self = voters.FirstOrDefault(v => v.NodeId == nodeId)
            ?? throw new ArgumentException($"Node {nodeId} is not in the voter list ({string.Join(",", voters)}).", nameof(nodeId));
        _nodeId = nodeId;
        _voters = [.. voters];
        _directory = Path.GetFullPath(metadataDirectory);
        _timeouts = timeouts;
        _snapshotIntervalEntries = snapshotIntervalEntries;
        _libraryLoggerFactory = new LibraryLoggerFactory(loggerFactory, libraryLogLevel);
        _logger = loggerFactory.CreateLogger<RaftMetadataQuorum>();
    }

    public ClusterImage Image => _image;

    public event Action<ClusterImage>? ImageChanged;

    public int? ControllerId => _controllerId is var id and not NoController ? id : null;

    public event Action<int?>? ControllerChanged;

    /// <summary>This node's voter entry.</summary>
    public QuorumVoter Self => _self;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == Disposed, this);
        if (Interlocked.CompareExchange(ref _state, Started, New) != New)
        {
            throw new InvalidOperationException("The metadata quorum member is already started.");
        }
        try
        {
            // The library reads every file named *-* in the state machine's folder as a snapshot: keep the WAL apart.
            var snapshots = Directory.CreateDirectory(Path.Combine(_directory, "snapshots"));
            var walDirectory = Directory.CreateDirectory(Path.Combine(_directory, "wal"));

            _stateMachine = new MetadataStateMachine(snapshots, _snapshotIntervalEntries, OnImagePublished);
            await _stateMachine.RestoreAsync(cancellationToken).ConfigureAwait(false); // before the WAL reads where to replay from
            _wal = new WriteAheadLog(
                new WriteAheadLog.Options
                {
                    Location = walDirectory.FullName,
                    // In 6.12 every append and commit is flushed (and checkpointed) before it returns: the
                    // FlushOnCommit/FlushInterval options are obsolete and always on. So a member acknowledges,
                    // and counts towards a majority, only entries that survive its crash.
                    HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.Crc32,
                },
                _stateMachine);

            var configuration = new RaftCluster.TcpConfiguration(_self.EndPoint)
            {
                LowerElectionTimeout = (int)_timeouts.LowerElectionTimeout.TotalMilliseconds,
                UpperElectionTimeout = (int)_timeouts.UpperElectionTimeout.TotalMilliseconds,
                RequestTimeout = _timeouts.RequestTimeout,
                ConnectTimeout = _timeouts.ConnectTimeout,
                // null: the library's in-memory storage (its concrete type is internal), filled below with every
                // voter. Static membership, the same list on every node, so no node needs to cold-start the cluster.
                ConfigurationStorage = null,
                ColdStart = false,
                LoggerFactory = _libraryLoggerFactory,
            };
            _membership = configuration.ConfigurationStorage as InMemoryClusterConfigurationStorage<EndPoint>
                ?? throw new InvalidOperationException("DotNext no longer defaults to in-memory membership storage.");
            var members = _membership.CreateInitialConfigurationBuilder();
            foreach (var voter in _voters)
            {
                members.Add(voter.EndPoint);
            }
            members.Build();

            _cluster = new RaftCluster(configuration) { AuditTrail = _wal };
            _cluster.LeaderChanged += OnLeaderChanged;
            await _cluster.StartAsync(cancellationToken).ConfigureAwait(false);
            QuorumLog.Started(_logger, _nodeId, _self.EndPoint.ToString(), string.Join(",", _voters), _directory);
        }
        catch
        {
            await StopAsync().ConfigureAwait(false);
            Volatile.Write(ref _state, Disposed);
            throw;
        }
    }

    public Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken) =>
        WaitForLeadershipAsync(StartedCluster(), cancellationToken);

    public async Task ProposeAsync(IReadOnlyList<MetadataRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            throw new ArgumentException("Nothing to propose: the entry has no records.", nameof(records));
        }
        var cluster = StartedCluster();
        var entry = new MetadataEntry();
        entry.Records.Add(records);
        ReadOnlyMemory<byte> payload = entry.ToByteArray();

        // Right after an election the library refuses writes until the new leader has committed an entry of its
        // own term; wait for that, but not for a whole new election: the caller retries on another controller.
        CancellationToken leadership;
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            bounded.CancelAfter(2 * _timeouts.UpperElectionTimeout);
            try
            {
                leadership = await WaitForLeadershipAsync(cluster, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new NotControllerException($"Node {_nodeId} is not the controller and no controller is known yet; retry.");
            }
        }

        using var replicating = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, leadership);
        try
        {
            await cluster.ReplicateAsync(payload, context: null, token: replicating.Token).ConfigureAwait(false);
        }
        catch (NotLeaderException e)
        {
            throw new NotControllerException($"Node {_nodeId} stopped being the controller before the records were appended.", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NotControllerException(
                $"Node {_nodeId} stopped being the controller while replicating; the records may still be committed by the next controller.", e);
        }

        // The followers learn that the entry is committed with the next replication round, up to a Raft heartbeat
        // (half the lower election timeout) away: start that round now, so every node applies the entry (a fence and
        // its new leaders, say) about a round trip after this one. Not awaited: the round waits for every member,
        // a dead one included.
        _ = PublishCommitAsync(cluster);

        // The entry is committed, so its index is at most the commit index now; once that is applied, so is it.
        var wal = _wal!;
        await wal.WaitForApplyAsync(wal.LastCommittedEntryIndex, cancellationToken).ConfigureAwait(false);
    }

    private static async Task PublishCommitAsync(RaftCluster cluster)
    {
        try
        {
            await cluster.ForceReplicationAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // No longer leading, or stopping: the next round, by whichever leader, carries the commit index.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, Disposed) == Started)
        {
            await StopAsync().ConfigureAwait(false);
        }
    }

    private async Task<CancellationToken> WaitForLeadershipAsync(RaftCluster cluster, CancellationToken cancellationToken)
    {
        ThrowIfAnotherController();
        using var anotherController = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnControllerChanged(int? controller)
        {
            if (controller is { } id && id != _nodeId)
            {
                try
                {
                    _ = anotherController.CancelAsync();
                }
                catch (ObjectDisposedException)
                {
                    // The wait already ended.
                }
            }
        }
        ControllerChanged += OnControllerChanged;
        try
        {
            ThrowIfAnotherController(); // it may have changed before the handler was added
            return await cluster.WaitForLeadershipAsync(anotherController.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ThrowIfAnotherController();
            throw;
        }
        finally
        {
            ControllerChanged -= OnControllerChanged;
        }
    }

    private void ThrowIfAnotherController()
    {
        if (ControllerId is { } controller && controller != _nodeId)
        {
            throw new NotControllerException($"Node {controller} is the controller, not node {_nodeId}.");
        }
    }

    private RaftCluster StartedCluster()
    {
        var state = Volatile.Read(ref _state);
        ObjectDisposedException.ThrowIf(state == Disposed, this);
        return state == Started && _cluster is { } cluster
            ? cluster
            : throw new InvalidOperationException("The metadata quorum member is not started.");
    }

    private void OnLeaderChanged(RaftCluster<RaftClusterMember> cluster, RaftClusterMember? leader)
    {
        int? controller = null;
        if (leader is not null)
        {
            controller = leader.IsRemote ? QuorumVoters.FindNodeId(_voters, leader.EndPoint) : _nodeId;
            if (controller is null)
            {
                QuorumLog.UnknownLeader(_logger, leader.EndPoint.ToString() ?? "?");
            }
        }
        SetController(controller);
    }

    private void SetController(int? controller)
    {
        lock (_controllerLock)
        {
            var value = controller ?? NoController;
            if (_controllerId == value || Volatile.Read(ref _state) != Started)
            {
                return;
            }
            _controllerId = value;
            QuorumLog.ControllerChanged(_logger, controller?.ToString(CultureInfo.InvariantCulture) ?? "none", _nodeId);
            Raise(ControllerChanged, controller, nameof(ControllerChanged));
        }
    }

    private void OnImagePublished(ClusterImage image)
    {
        _image = image;
        Raise(ImageChanged, image, nameof(ImageChanged));
    }

    private void Raise<T>(Action<T>? handlers, T value, string name)
    {
        if (handlers is null)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList().Cast<Action<T>>())
        {
            try
            {
                handler(value);
            }
            catch (Exception e)
            {
                QuorumLog.HandlerFailed(_logger, e, name);
            }
        }
    }

    private async Task StopAsync()
    {
        if (_cluster is { } cluster)
        {
            cluster.LeaderChanged -= OnLeaderChanged;
            try
            {
                using var timeout = new CancellationTokenSource(_stopTimeout);
                await cluster.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
            {
                QuorumLog.StopFailed(_logger, e);
            }
            await cluster.DisposeAsync().ConfigureAwait(false);
        }
        if (_wal is { } wal)
        {
            await wal.DisposeAsync().ConfigureAwait(false);
        }
        if (_stateMachine is { } stateMachine)
        {
            await stateMachine.DisposeAsync().ConfigureAwait(false);
        }
        _membership?.Dispose();
        lock (_controllerLock)
        {
            _controllerId = NoController;
        }
    }
}
