using Grpc.Core;
using LogCluster.Client;
using LogCluster.Client.Cluster;
using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// Calls the group's coordinator: finds it with FindCoordinator on any node, and finds it again whenever it
/// answers NOT_COORDINATOR (or the like) or its connection fails, retrying after retry.backoff.ms until the
/// caller's token ends.
/// </summary>
internal sealed class GroupClient(string groupId, ConsumerConfig config, ClusterMetadata metadata, TimeProvider time)
{
    /// <summary>The coordinator found last, or null: several threads call (heartbeats, commits, lookups).</summary>
    private volatile Coordinator? _coordinator;

    private sealed record Coordinator(string Host, int Port);

    public string GroupId { get; } = groupId;

    public async Task<T> CallAsync<T>(Func<GroupService.GroupServiceClient, CallOptions, Task<T>> call, Func<T, ErrorCode> errorOf, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var coordinator = _coordinator ?? await FindAsync(cancellationToken).ContinueInline();
                _coordinator = coordinator;
                var (host, port) = coordinator;
                var options = new CallOptions(deadline: time.GetUtcNow().UtcDateTime + config.RequestTimeout, cancellationToken: cancellationToken);
                var response = await call(new GroupService.GroupServiceClient(metadata.Channel(host, port)), options).ContinueInline();
                if (errorOf(response) is not (ErrorCode.NotCoordinator or ErrorCode.CoordinatorNotAvailable or ErrorCode.CoordinatorLoadInProgress))
                {
                    return response;
                }
                _coordinator = null;
            }
            catch (RpcException e) when (cancellationToken.IsCancellationRequested)
            {
                // The caller gave up: say so as an awaited call does, not as a transport failure.
                throw new OperationCanceledException("the group call was cancelled", e, cancellationToken);
            }
            catch (Exception e) when (e is RpcException or ObjectDisposedException)
            {
                // The coordinator moved or its connection was reset (a disposed channel): find it again.
                _coordinator = null;
            }
            catch (LogClusterException e) when (e.IsRetriable && !cancellationToken.IsCancellationRequested)
            {
                // No node answered FindCoordinator: the cluster may be electing; try again.
            }
            await SdkTasks.DelayAsync(config.RetryBackoff, time, cancellationToken).ContinueInline();
        }
    }

    /// <summary>The group's committed offsets of these partitions (-1 where it committed none); throws when the coordinator refuses.</summary>
    public async Task<Dictionary<TopicPartition, long>> CommittedAsync(IEnumerable<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        var request = new OffsetFetchRequest { GroupId = GroupId };
        request.Partitions.Add(ByTopic(partitions));
        var response = await CallAsync((client, options) => client.OffsetFetchAsync(request, options).ResponseAsync, r => r.ErrorCode, cancellationToken).ContinueInline();
        if (response.ErrorCode != ErrorCode.None)
        {
            throw new LogClusterException(response.ErrorCode, $"committed offsets of group '{GroupId}': {response.ErrorMessage}");
        }
        return response.Partitions.ToDictionary(p => new TopicPartition(p.Topic, p.Partition), p => p.Offset);
    }

    /// <summary>Partitions as the group protocol lists them: one entry per topic.</summary>
    public static IEnumerable<TopicPartitions> ByTopic(IEnumerable<TopicPartition> partitions) =>
        partitions.GroupBy(p => p.Topic).Select(topic =>
        {
            var entry = new TopicPartitions { Topic = topic.Key };
            entry.Partitions.Add(topic.Select(p => p.Partition));
            return entry;
        });

    private async Task<Coordinator> FindAsync(CancellationToken cancellationToken)
    {
        var response = await metadata.AskAnyChannelAsync(
            $"a coordinator lookup for group '{GroupId}'",
            (channel, token) => new GroupService.GroupServiceClient(channel).FindCoordinatorAsync(new FindCoordinatorRequest { GroupId = GroupId }, cancellationToken: token).ResponseAsync,
            cancellationToken).ContinueInline();
        if (response.ErrorCode != ErrorCode.None)
        {
            throw new LogClusterException(response.ErrorCode, $"group '{GroupId}': {response.ErrorMessage}");
        }
        return new Coordinator(response.Host, response.Port);
    }
}
