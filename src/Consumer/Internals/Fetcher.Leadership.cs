using Grpc.Core;
using LogCluster.Client;
using LogCluster.Client.Cluster;
using LogCluster.Client.Transport;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// Who leads the partitions being fetched: the cached metadata, refreshed when stale (one refresh per topic at a
/// time). A fetch left unanswered past its long poll makes the consumer ask the other nodes who leads, and it is
/// abandoned as soon as another leader is named (the producer's rule, docs/consumer.md).
/// </summary>
internal sealed partial class Fetcher
{
    /// <summary>A fetch unanswered this long past its long poll makes the consumer check who leads (the producer's bound).</summary>
    private static readonly TimeSpan _leaderCheckAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>How soon to look again while a leader stays silent and nobody names another (refreshes are cheap).</summary>
    private static readonly TimeSpan _leaderCheckInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>The topics whose metadata is being asked for now.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _refreshing = new(StringComparer.Ordinal);

    /// <summary>
    /// The consumer never waits on a node that no longer leads. A fetch still unanswered
    /// <see cref="_leaderCheckAfter"/> after its long poll should have ended marks the node suspect and asks the
    /// others who leads its partitions (a refresh per topic at a time, again while it stays unanswered); as soon as
    /// an answer names another leader for one of them, the fetch is abandoned and the next look fetches there. A
    /// frozen, cut-off or stalled leader is thus left once the controller has fenced it, not after
    /// request.timeout.ms. Returns when to look again.
    /// </summary>
    private long FollowLeadership(NodeAddress node, InFlightFetch fetch, long now)
    {
        if (fetch.Abandon.IsCancellationRequested)
        {
            return long.MaxValue;
        }
        var checkAt = fetch.StartedAt + (long)((config.FetchMaxWait + _leaderCheckAfter).TotalSeconds * time.TimestampFrequency);
        if (now < checkAt)
        {
            return checkAt;
        }
        metadata.Suspect(node);
        foreach (var partition in fetch.Partitions)
        {
            var layout = metadata.TryGetKnown(partition.Topic);
            if (layout is not null && partition.Partition < layout.PartitionCount
                && layout.Leaders[partition.Partition] is { } leader && leader.NodeId != node.NodeId)
            {
                fetch.Abandon.Cancel();
                return long.MaxValue;
            }
            _ = RefreshAsync(partition.Topic, askLast: node);
        }
        return now + (long)(_leaderCheckInterval.TotalSeconds * time.TimestampFrequency);
    }

    private NodeAddress? Leader(TopicPartition partition)
    {
        var layout = metadata.TryGetKnown(partition.Topic);
        if (layout is null || metadata.IsStale(partition.Topic) || metadata.TryGetCached(partition.Topic) is null)
        {
            _ = RefreshAsync(partition.Topic);
        }
        return layout is not null && partition.Partition < layout.PartitionCount ? layout.Leaders[partition.Partition] : null;
    }

    /// <summary>One refresh per topic at a time, however many of its partitions ask; <paramref name="askLast"/> is the node in doubt.</summary>
    private async Task RefreshAsync(string topic, NodeAddress? askLast = null)
    {
        if (!_refreshing.TryAdd(topic, 0))
        {
            return;
        }
        var refreshed = false;
        try
        {
            metadata.Invalidate(topic);
            await metadata.GetTopicAsync(topic, CancellationToken.None, askLast).ContinueInline();
            refreshed = true;
        }
        catch (Exception e) when (e is LogClusterException or RpcException or OperationCanceledException)
        {
            // Unknown topic or no node reachable: the partitions wait, and the next look (at the latest after
            // fetch.max.wait.ms) asks again.
        }
        try
        {
            if (askLast is not null)
            {
                // Following a silent leader: the next refresh of this topic no sooner than the check interval, or
                // the wake below would start one per metadata round trip for as long as the node stays silent.
                await SdkTasks.DelayAsync(_leaderCheckInterval, time, CancellationToken.None).ContinueInline();
            }
        }
        finally
        {
            _refreshing.TryRemove(topic, out _);
            if (refreshed || askLast is not null)
            {
                wake.Set();
            }
        }
    }

    /// <summary>A fetch in flight to one node: when it started, what abandons it, and the partitions it asks for.</summary>
    private sealed record InFlightFetch(long StartedAt, CancellationTokenSource Abandon, IReadOnlyList<TopicPartition> Partitions)
    {
        public Task Done { get; init; } = Task.CompletedTask;
    }
}
