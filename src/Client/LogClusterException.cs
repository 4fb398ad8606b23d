using LogCluster.Protocol;
using LogCluster.Protocol.V1;

namespace LogCluster.Client;

/// <summary>
/// Every failure the SDKs report: the node's or the client's <see cref="ErrorCode"/>, whether retrying the same
/// operation may work, and a message that says what happened.
/// </summary>
public sealed class LogClusterException : Exception
{
    public LogClusterException(ErrorCode errorCode, string message, Exception? innerException = null)
        : base($"{errorCode}: {message}", innerException)
    {
        ErrorCode = errorCode;
    }

    public ErrorCode ErrorCode { get; }

    /// <summary>True when the same operation may succeed if tried again (the SDK's own retries already did).</summary>
    public bool IsRetriable => ErrorCode.IsRetriable();

    /// <summary>The producer already knows where to retry (it left a silent leader for the one metadata names): no backoff.</summary>
    internal bool RetryAtOnce { get; init; }
}
