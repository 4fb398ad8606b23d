using LogCluster.LogNode.Storage;

namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>
/// Liveness timing, as KRaft's broker.heartbeat.interval.ms and broker.session.timeout.ms but shorter (Kafka's are
/// 2 s and 9 s): a dead leader is replaced after about the session timeout, and the issue asks for under 3 s.
/// </summary>
internal sealed record ControllerSettings(TimeSpan HeartbeatInterval, TimeSpan SessionTimeout, TopicConfig TopicDefaults)
{
    public const int ProducerIdBlockSize = 1000;
}
