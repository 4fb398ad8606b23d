namespace LogCluster.LogNode.Metadata.Quorum;

/// <summary>The metadata quorum's log events, source-generated, with stable event ids (60-69).</summary>
internal static partial class QuorumLog
{
    [LoggerMessage(60, LogLevel.Information, "Metadata quorum member {NodeId} started on {EndPoint}: voters {Voters}, log in {Directory}")]
    public static partial void Started(ILogger logger, int nodeId, string endPoint, string voters, string directory);

    [LoggerMessage(61, LogLevel.Information, "Metadata quorum controller is now {ControllerId} (this node is {NodeId})")]
    public static partial void ControllerChanged(ILogger logger, string controllerId, int nodeId);

    [LoggerMessage(62, LogLevel.Warning, "The Raft leader at {EndPoint} is not in the voter list; treating the controller as unknown")]
    public static partial void UnknownLeader(ILogger logger, string endPoint);

    [LoggerMessage(63, LogLevel.Error, "A metadata quorum event handler ({Event}) threw; the quorum goes on")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string @event);

    [LoggerMessage(64, LogLevel.Warning, "Stopping the Raft member did not finish cleanly")]
    public static partial void StopFailed(ILogger logger, Exception exception);
}
