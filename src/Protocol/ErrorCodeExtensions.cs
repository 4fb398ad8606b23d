using LogCluster.Protocol.V1;

namespace LogCluster.Protocol;

/// <summary>Which error codes a client may retry: the single source the SDKs' retry policies read.</summary>
public static class ErrorCodeExtensions
{
    public static bool IsRetriable(this ErrorCode code) => code switch
    {
        ErrorCode.CorruptMessage
            or ErrorCode.UnknownTopicOrPartition
            or ErrorCode.LeaderNotAvailable
            or ErrorCode.NotLeaderOrFollower
            or ErrorCode.RequestTimedOut
            or ErrorCode.NotController
            or ErrorCode.NetworkException
            or ErrorCode.NotEnoughReplicas
            or ErrorCode.NotEnoughReplicasAfterAppend
            or ErrorCode.StorageError
            or ErrorCode.FencedLeaderEpoch
            or ErrorCode.UnknownLeaderEpoch
            or ErrorCode.CoordinatorLoadInProgress
            or ErrorCode.CoordinatorNotAvailable
            or ErrorCode.NotCoordinator => true,
        _ => false,
    };
}
