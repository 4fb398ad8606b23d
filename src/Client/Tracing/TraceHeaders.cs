using System.Text;
using LogCluster.Protocol.Records;

namespace LogCluster.Client.Tracing;

/// <summary>
/// The W3C trace context as record headers, as Kafka's instrumentations carry it: the producer writes
/// <c>traceparent</c>, the consumer (and the node, by the batch) continue the trace from it.
/// </summary>
internal static class TraceHeaders
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>The first header named <paramref name="key"/>, as UTF-8 text; null when absent or without a value.</summary>
    public static string? Find(IReadOnlyList<RecordHeader> headers, string key)
    {
        foreach (var header in headers)
        {
            if (header.Key == key && header.Value is { } value)
            {
                return Encoding.UTF8.GetString(value);
            }
        }
        return null;
    }
}
