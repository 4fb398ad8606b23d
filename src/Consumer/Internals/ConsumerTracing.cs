using System.Diagnostics;
using LogCluster.Client.Tracing;
using LogCluster.Protocol.Records;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// Continues the producer's trace: a record carrying a W3C <c>traceparent</c> header (and <c>tracestate</c>)
/// gets a "receive" span of kind Consumer under it on the ActivitySource "LogCluster.Consumer", with
/// OpenTelemetry's messaging attributes, and the context is handed to the application on the ConsumeResult so
/// that its processing can join the same trace. Without a listener no span is created.
/// </summary>
internal static class ConsumerTracing
{
    public const string SourceName = "LogCluster.Consumer";
    private static readonly ActivitySource _source = new(SourceName);

    /// <summary>The producer's context from the record's headers, or default when it carries none (or a malformed one).</summary>
    public static ActivityContext ProducerContext(IReadOnlyList<RecordHeader> headers)
    {
        if (headers.Count == 0)
        {
            return default;
        }
        var traceParent = TraceHeaders.Find(headers, TraceHeaders.TraceParent);
        return traceParent is not null && ActivityContext.TryParse(traceParent, TraceHeaders.Find(headers, TraceHeaders.TraceState), isRemote: true, out var context)
            ? context
            : default;
    }

    public static void Received(ActivityContext producer, TopicPartition partition, long offset, string? groupId)
    {
        if (!_source.HasListeners())
        {
            // The common case, per record: not even the span's name is built.
            return;
        }
        using var activity = _source.StartActivity($"{partition.Topic} receive", ActivityKind.Consumer, producer);
        if (activity is null)
        {
            return;
        }
        activity.SetTag("messaging.system", "logcluster");
        activity.SetTag("messaging.operation.type", "receive");
        activity.SetTag("messaging.destination.name", partition.Topic);
        activity.SetTag("messaging.destination.partition.id", partition.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
        activity.SetTag("messaging.kafka.offset", offset);
        if (groupId is not null)
        {
            activity.SetTag("messaging.consumer.group.name", groupId);
        }
    }
}
