using LogCluster.Protocol.V1;

namespace LogCluster.Producer.Internals;

/// <summary>
/// The node's answer for one batch of one request, or the client's reason it has none. <paramref name="RetryAtOnce"/>:
/// the producer left a node that stopped answering because metadata already names the new leader, so the retry
/// need not wait retry.backoff.ms for the cluster to settle.
/// </summary>
internal readonly record struct AttemptResult(ErrorCode Error, string Message, long BaseOffset, bool RetryAtOnce = false)
{
    public static AttemptResult Sent(long baseOffset) => new(ErrorCode.None, "", baseOffset);
}
