namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>Why the controller fences a node.</summary>
internal enum FenceReason
{
    /// <summary>No heartbeat for the session timeout: the node is dead, frozen or cut off.</summary>
    SessionExpired,

    /// <summary>Its heartbeat stream was reset and it did not reconnect within the dead-node grace: its process is gone.</summary>
    StreamReset,
}

/// <summary>
/// The controller's view of each node's liveness: when it last heartbeated, on which heartbeat stream, and since
/// when that stream is gone. Only the stream that carried a node's latest heartbeat counts: a stream the node has
/// already replaced (it reconnected before the old one's reset arrived, or the old one hangs on a dead link) says
/// nothing about the node. A heartbeat on any stream, or a unary one, ends the grace.
/// </summary>
/// <remarks>Threading: heartbeats and resets arrive on gRPC threads, the controller's loop reads; one lock.</remarks>
internal sealed class NodeSessions(ControllerSettings settings, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Session> _sessions = [];
    private long _lastStreamId;

    /// <param name="LastHeard">Timestamp of the latest heartbeat (<see cref="TimeProvider.GetTimestamp"/>).</param>
    /// <param name="Stream">The stream that carried it; null for a unary heartbeat.</param>
    /// <param name="ResetAt">When that stream was reset, if it was and no heartbeat came since.</param>
    private readonly record struct Session(long LastHeard, long? Stream, long? ResetAt);

    /// <summary>An id for a heartbeat stream that has just opened.</summary>
    public long NewStream() => Interlocked.Increment(ref _lastStreamId);

    /// <summary>
    /// This node has just become the controller: every node counts as just heard from, as in KRaft, so that nodes
    /// that were talking to the previous controller are not fenced before they find this one.
    /// </summary>
    public void StartSessions(IEnumerable<int> nodeIds)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            _sessions.Clear();
            foreach (var nodeId in nodeIds)
            {
                _sessions[nodeId] = new Session(now, Stream: null, ResetAt: null);
            }
        }
    }

    /// <summary>A heartbeat from the node, on <paramref name="stream"/> (null: a unary call).</summary>
    public void Heard(int nodeId, long? stream)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            _sessions[nodeId] = new Session(now, stream, ResetAt: null);
        }
    }

    /// <summary>
    /// A heartbeat stream of the node was reset. Returns whether that starts the grace: only when it is the stream
    /// of the node's latest heartbeat.
    /// </summary>
    public bool StreamReset(int nodeId, long stream)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (!_sessions.TryGetValue(nodeId, out var session) || session.Stream != stream || session.ResetAt is not null)
            {
                return false;
            }
            _sessions[nodeId] = session with { ResetAt = now };
            return true;
        }
    }

    /// <summary>Whether the node is to be fenced now, and why; null while it is alive as far as the controller knows.</summary>
    public FenceReason? Expired(int nodeId)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(nodeId, out var session))
            {
                // Registered while this controller led but before it heard the node here: its session starts now.
                _sessions[nodeId] = new Session(time.GetTimestamp(), Stream: null, ResetAt: null);
                return null;
            }
            if (session.ResetAt is { } resetAt && time.GetElapsedTime(resetAt) >= settings.DeadNodeGrace)
            {
                return FenceReason.StreamReset;
            }
            return time.GetElapsedTime(session.LastHeard) > settings.SessionTimeout ? FenceReason.SessionExpired : null;
        }
    }

    /// <summary>
    /// How long the controller may wait before it checks again: <paramref name="interval"/>, or less when a grace
    /// ends sooner (one already over was dealt with by the check before this wait). A reset that arrives during
    /// the wait has its grace end after the wait as long as the grace is at least the interval; a shorter grace is
    /// honoured up to one interval late.
    /// </summary>
    public TimeSpan UntilNextCheck(TimeSpan interval)
    {
        lock (_lock)
        {
            var next = interval;
            foreach (var session in _sessions.Values)
            {
                if (session.ResetAt is { } resetAt && settings.DeadNodeGrace - time.GetElapsedTime(resetAt) is var left && left > TimeSpan.Zero && left < next)
                {
                    next = left;
                }
            }
            return next;
        }
    }
}
