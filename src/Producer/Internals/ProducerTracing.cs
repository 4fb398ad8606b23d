using System.Diagnostics;
using System.Text;
using LogCluster.Client.Tracing;
using LogCluster.Protocol.Records;

namespace LogCluster.Producer.Internals;

/// <summary>
/// Starts the trace a record carries, when the application opts in by listening to the ActivitySource
/// "LogCluster.Producer" (OpenTelemetry: <c>AddSource("LogCluster.Producer")</c>): Send makes a "publish" span of
/// kind Producer (child of the caller's current span), and its W3C context goes into the record's
/// <c>traceparent</c> header, where the node's produce span and the consumer's receive span pick it up. If the
/// publish span is not sampled, the caller's own span is written instead. Without a listener records are sent
/// untouched: no header (66 bytes a record) and no trace id leaves the application unasked.
/// </summary>
internal static class ProducerTracing
{
    public const string SourceName = "LogCluster.Producer";
    private static readonly ActivitySource _source = new(SourceName);

    public static IReadOnlyList<RecordHeader> WithTraceContext(string topic, IReadOnlyList<RecordHeader> headers)
    {
        if (!_source.HasListeners())
        {
            return headers;
        }
        if (TraceHeaders.Find(headers, TraceHeaders.TraceParent) is not null)
        {
            // The application set its own context: it wins.
            return headers;
        }
        using var publish = _source.StartActivity($"{topic} publish", ActivityKind.Producer);
        publish?.SetTag("messaging.system", "logcluster");
        publish?.SetTag("messaging.operation.type", "send");
        publish?.SetTag("messaging.destination.name", topic);
        var context = publish?.Context ?? Activity.Current?.Context ?? default;
        if (context.TraceId == default)
        {
            return headers;
        }
        var flags = (context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00";
        var traceParent = $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{flags}";
        return [.. headers, new RecordHeader(TraceHeaders.TraceParent, Encoding.UTF8.GetBytes(traceParent))];
    }
}
