using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>
/// The request's view of the partition's leader epoch against this node's (KIP-320): older is fenced, newer is
/// not known here yet, -1 skips the check. Shared by Fetch and OffsetForLeaderEpoch.
/// </summary>
internal static class LeaderEpochCheck
{
    public static (ErrorCode Error, string Message)? Problem(int requested, int current) => requested switch
    {
        -1 => null,
        _ when requested < current => (ErrorCode.FencedLeaderEpoch, $"leader epoch {requested} is older than the current {current}"),
        _ when requested > current => (ErrorCode.UnknownLeaderEpoch, $"leader epoch {requested} is newer than the known {current}"),
        _ => null,
    };
}
