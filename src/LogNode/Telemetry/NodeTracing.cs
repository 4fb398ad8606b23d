using System.Diagnostics;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Telemetry;

/// <summary>
/// Server spans on the ActivitySource "LogCluster.Node": a "produce" span per batch, child of the producer's span
/// whose context the batch carries, and a "fetch" span per fetch, child of the caller's <c>traceparent</c> gRPC
/// header when it sends one. Without a listener (no OpenTelemetry tracing configured) nothing is allocated.
/// </summary>
internal static class NodeTracing
{
    public const string SourceName = "LogCluster.Node";
    private static readonly ActivitySource _source = new(SourceName);

    public static bool Enabled => _source.HasListeners();

    /// <summary>A span for appending <paramref name="batch"/> and waiting for its acknowledgement; the caller stops it.</summary>
    public static Activity? StartProduce(PartitionBatch batch)
    {
        if (!_source.HasListeners())
        {
            return null;
        }
        ActivityContext.TryParse(batch.Traceparent, null, isRemote: true, out var parent);
        var activity = _source.StartActivity($"{batch.Topic} produce", ActivityKind.Server, parent);
        activity?.SetTag("messaging.system", "logcluster");
        activity?.SetTag("messaging.operation.type", "receive");
        activity?.SetTag("messaging.destination.name", batch.Topic);
        activity?.SetTag("messaging.destination.partition.id", batch.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return activity;
    }

    /// <summary>Ends a produce span with the partition's outcome.</summary>
    public static void Stop(Activity? activity, PartitionProduceResult result)
    {
        if (activity is null)
        {
            return;
        }
        if (result.ErrorCode == ErrorCode.None)
        {
            activity.SetTag("messaging.kafka.offset", result.BaseOffset);
        }
        else
        {
            activity.SetStatus(ActivityStatusCode.Error, result.ErrorCode.ToString());
        }
        activity.Dispose();
    }

    public static Activity? StartFetch(FetchRequest request, string? traceparent)
    {
        if (!_source.HasListeners())
        {
            return null;
        }
        ActivityContext.TryParse(traceparent, null, isRemote: true, out var parent);
        var activity = _source.StartActivity("fetch", ActivityKind.Server, parent);
        activity?.SetTag("messaging.system", "logcluster");
        activity?.SetTag("logcluster.fetcher", request.ReplicaId >= 0 ? "follower" : "consumer");
        activity?.SetTag("logcluster.partitions", request.Partitions.Count);
        return activity;
    }
}
