using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using LogCluster.Protocol.Records;

namespace LogCluster.LogNode.Telemetry;

/// <summary>
/// The node's counters and histograms on the Meter "LogCluster.Node", named after Kafka's broker metrics
/// (BytesInPerSec, MessagesInPerSec, IsrShrinksPerSec, ...). The gauges that read the node's state when scraped
/// are in <see cref="NodeGauges"/>. Topics are a tag; partitions are not, so the series stay few.
/// </summary>
internal sealed class NodeMetrics
{
    public const string MeterName = "LogCluster.Node";

    /// <summary>Seconds from 0.5 ms to 30 s: OpenTelemetry's default buckets are meant for milliseconds.</summary>
    private static readonly InstrumentAdvice<double> _latencyBuckets = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    };

    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _recordsIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _recordsOut;
    private readonly Histogram<double> _produceDuration;
    private readonly Histogram<double> _fetchDuration;
    private readonly Counter<long> _isrShrinks;
    private readonly Counter<long> _isrExpands;
    private readonly Counter<long> _controllerElections;
    private readonly Counter<long> _kafkaRequests;
    private readonly Counter<long> _kafkaClosed;

    public NodeMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        _bytesIn = Meter.CreateCounter<long>("logcluster.node.bytes_in", "By", "Bytes of record batches appended as leader");
        _recordsIn = Meter.CreateCounter<long>("logcluster.node.records_in", "{record}", "Records appended as leader");
        _bytesOut = Meter.CreateCounter<long>("logcluster.node.bytes_out", "By", "Bytes of record batches served by fetches (fetcher: consumer or follower)");
        _recordsOut = Meter.CreateCounter<long>("logcluster.node.records_out", "{record}", "Records served by fetches (fetcher: consumer or follower)");
        _produceDuration = Meter.CreateHistogram("logcluster.node.produce.duration", "s", "From a produce request's arrival to its response (acks=all includes replication)", advice: _latencyBuckets);
        _fetchDuration = Meter.CreateHistogram("logcluster.node.fetch.duration", "s", "From a fetch's arrival to its response, long-poll wait included", advice: _latencyBuckets);
        _isrShrinks = Meter.CreateCounter<long>("logcluster.node.isr.shrinks", "{change}", "Times a partition this node leads lost an in-sync replica");
        _isrExpands = Meter.CreateCounter<long>("logcluster.node.isr.expands", "{change}", "Times a partition this node leads gained an in-sync replica");
        _controllerElections = Meter.CreateCounter<long>("logcluster.node.controller.elections", "{election}", "Times this node became the active controller");
        _kafkaRequests = Meter.CreateCounter<long>("logcluster.node.kafka.requests", "{request}", "Kafka-protocol requests taken for handling, by API key and version");
        _kafkaClosed = Meter.CreateCounter<long>("logcluster.node.kafka.connections_closed", "{connection}", "Kafka-protocol connections the node closed over a request, by API key and reason (bad_frame_size, unknown_api, unsupported_version, malformed, protocol, handler_failed)");
    }

    /// <summary>The meter, for the gauges that share it.</summary>
    public Meter Meter { get; }

    public void Appended(string topic, int bytes, int records)
    {
        var tag = new KeyValuePair<string, object?>("topic", topic);
        _bytesIn.Add(bytes, tag);
        _recordsIn.Add(records, tag);
    }

    /// <summary>Counts whole batches in <paramref name="batches"/>: reading the record counts costs a few header reads.</summary>
    public void Served(string topic, ReadOnlySpan<byte> batches, bool toFollower)
    {
        if (batches.IsEmpty || !_bytesOut.Enabled && !_recordsOut.Enabled)
        {
            return;
        }
        var tags = new TagList { { "topic", topic }, { "fetcher", toFollower ? "follower" : "consumer" } };
        _bytesOut.Add(batches.Length, tags);
        _recordsOut.Add(CountRecords(batches), tags);
    }

    public void ProduceCompleted(long startTimestamp, string acks) =>
        _produceDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("acks", acks));

    public void FetchCompleted(long startTimestamp, bool fromFollower) =>
        _fetchDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("fetcher", fromFollower ? "follower" : "consumer"));

    /// <summary>A led partition's ISR went from <paramref name="before"/> to <paramref name="after"/> members.</summary>
    public void IsrChanged(string topic, int before, int after)
    {
        var tag = new KeyValuePair<string, object?>("topic", topic);
        if (after < before)
        {
            _isrShrinks.Add(1, tag);
        }
        else if (after > before)
        {
            _isrExpands.Add(1, tag);
        }
    }

    public void BecameController() => _controllerElections.Add(1);

    public void KafkaRequest(short apiKey, short version) =>
        _kafkaRequests.Add(1, new KeyValuePair<string, object?>("api_key", apiKey), new KeyValuePair<string, object?>("api_version", version));

    public void KafkaConnectionClosed(short apiKey, string reason) =>
        _kafkaClosed.Add(1, new KeyValuePair<string, object?>("api_key", apiKey), new KeyValuePair<string, object?>("reason", reason));

    private static long CountRecords(ReadOnlySpan<byte> batches)
    {
        long records = 0;
        while (batches.Length >= RecordBatchLayout.HeaderSize)
        {
            var size = RecordBatchLayout.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(batches[RecordBatchLayout.BatchLengthOffset..]);
            records += BinaryPrimitives.ReadInt32BigEndian(batches[RecordBatchLayout.RecordCountOffset..]);
            if (size <= 0 || size > batches.Length)
            {
                break;
            }
            batches = batches[size..];
        }
        return records;
    }
}
