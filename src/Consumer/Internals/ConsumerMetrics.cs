using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// The consumer's instruments on the Meter "LogCluster.Consumer" (OpenTelemetry reads it with
/// <c>AddMeter("LogCluster.Consumer")</c>): records and bytes handed to the application, fetch latency, lag per
/// partition (high watermark minus position), and rebalances. Every measurement carries the client.id.
/// </summary>
internal sealed class ConsumerMetrics : IDisposable
{
    public const string MeterName = "LogCluster.Consumer";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _records;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _rebalances;
    private readonly Histogram<double> _fetchLatency;
    private readonly KeyValuePair<string, object?> _client;

    public ConsumerMetrics(string clientId, Func<IEnumerable<(TopicPartition Partition, long Lag)>> lags)
    {
        _client = new("client.id", clientId);
        _records = _meter.CreateCounter<long>("logcluster.consumer.records", "{record}", "Records handed to the application");
        _bytes = _meter.CreateCounter<long>("logcluster.consumer.bytes", "By", "Key and value bytes handed to the application");
        _rebalances = _meter.CreateCounter<long>("logcluster.consumer.rebalances", "{rebalance}", "Assignments applied from the group's coordinator");
        _fetchLatency = _meter.CreateHistogram<double>("logcluster.consumer.fetch.duration", "s", "Time from sending a Fetch to its response (includes the long poll)");
        _meter.CreateObservableGauge("logcluster.consumer.lag", () => lags().Select(l => new Measurement<long>(l.Lag,
            _client, new("topic", l.Partition.Topic), new("partition", l.Partition.Partition))), "{record}", "High watermark minus position, per assigned partition");
    }

    public void Consumed(string topic, int bytes)
    {
        var tags = new TagList { _client, { "topic", topic } };
        _records.Add(1, tags);
        _bytes.Add(bytes, tags);
    }

    public void Rebalanced() => _rebalances.Add(1, _client);

    public void Fetched(TimeSpan latency) => _fetchLatency.Record(latency.TotalSeconds, _client);

    public void Dispose() => _meter.Dispose();
}
