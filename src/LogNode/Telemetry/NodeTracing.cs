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

    /// <summary>Whether anything listens (OTLP tracing configured): callers check it before building a span's inputs.</summary>
    public static bool Enabled => _source.HasListeners();

    /// <summary>A span for appending <paramref name="batch"/> and waiting for its acknowledgement; the caller stops it.</summary>
    public static Activity? StartProduce(PartitionBatch batch)
    {
        var activity = StartServerSpan($"{batch.Topic} produce", batch.Traceparent);
        activity?.SetTag("messaging.system", "logcluster");
        activity?.SetTag("messaging.operation.type", "receive");
        activity?.SetTag("messaging.destination.name", batch.Topic);
        activity?.SetTag("messaging.destination.partition.id", batch.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return activity;
    }

    /// <summary>
    /// A span whose parent is the caller's context, or none: never the ambient <see cref="Activity.Current"/>, which on
    /// a produce stream is an earlier batch's span (a produce span is stopped later, on another thread). The ambient
    /// context is left as it was, so the next batch on the stream does not inherit this one.
    /// </summary>
    private static Activity? StartServerSpan(string name, string? traceparent)
    {
        var ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            ActivityContext.TryParse(traceparent, null, isRemote: true, out var parent);
            return _source.StartActivity(name, ActivityKind.Server, parent);
        }
        finally
        {
            Activity.Current = ambient;
        }
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
        var activity = StartServerSpan("fetch", traceparent);
        activity?.SetTag("messaging.system", "logcluster");
        activity?.SetTag("logcluster.fetcher", request.ReplicaId >= 0 ? "follower" : "consumer");
        activity?.SetTag("logcluster.partitions", request.Partitions.Count);
        return activity;
    }
}
