using LogCluster.LogNode.Storage;

namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>
/// Liveness timing, as KRaft's broker.heartbeat.interval.ms and broker.session.timeout.ms but shorter (Kafka's are
/// 2 s and 9 s): a silent node is replaced after about the session timeout, and the issue asks for under 3 s.
/// <see cref="DeadNodeGrace"/> is ours: a node whose heartbeat stream was reset (its process is gone, the kernel
/// closed its sockets) is fenced once it has not reconnected for that long, without waiting out the session.
/// </summary>
internal sealed record ControllerSettings(TimeSpan HeartbeatInterval, TimeSpan SessionTimeout, TimeSpan DeadNodeGrace, TopicConfig TopicDefaults)
{
    public const int ProducerIdBlockSize = 1000;
}
