using LogCluster.Protocol.V1;

namespace LogCluster.Producer.Internals;

/// <summary>The node's answer for one batch of one request, or the client's reason it has none.</summary>
internal readonly record struct AttemptResult(ErrorCode Error, string Message, long BaseOffset)
{
    public static AttemptResult Sent(long baseOffset) => new(ErrorCode.None, "", baseOffset);
}
