using LogCluster.Protocol.V1;

namespace LogCluster.Protocol.Records;

/// <summary>A batch that cannot be decoded, with the error code a node or client reports for it.</summary>
public sealed class CorruptBatchException : Exception
{
    public CorruptBatchException(ErrorCode errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    public ErrorCode ErrorCode { get; }
}
