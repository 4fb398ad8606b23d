using LogCluster.Consumer;

namespace LogCluster.Cli.Demo;

/// <summary>
/// Reads the demo topic back with the consumer SDK as a member of the consumer group <see cref="GroupId"/>
/// (Subscribe, auto.offset.reset=earliest), as an application would, until every partition's position has passed
/// its last acknowledged record or <see cref="_patience"/> runs out, and counts each value it read.
/// </summary>
internal static class GroupReadBack
{
    public const string GroupId = "demo-readers";

    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(60);

    /// <param name="Counts">How many times each value was read.</param>
    /// <param name="Records">Every record read, copies included.</param>
    /// <param name="Elapsed">From the subscribe to the last record.</param>
    public sealed record Result(IReadOnlyDictionary<string, int> Counts, long Records, TimeSpan Elapsed);

    public static async Task<Result> ReadAsync(string bootstrapServers, string topic, IReadOnlyDictionary<int, long> ends, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig { BootstrapServers = bootstrapServers, ClientId = "demo-reader", GroupId = GroupId, AutoOffsetReset = AutoOffsetReset.Earliest };
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        long records = 0;
        var started = TimeProvider.System.GetTimestamp();
        await using var consumer = new ConsumerBuilder<string?, string>(config).Build();
        consumer.Subscribe([topic]);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_patience);
        try
        {
            while (!ReachedEnds(consumer, topic, ends))
            {
                foreach (var record in await consumer.ConsumeBatchAsync(deadline.Token))
                {
                    counts[record.Value] = counts.GetValueOrDefault(record.Value) + 1;
                    records++;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Out of patience: whatever was not read counts as lost.
        }
        return new Result(counts, records, TimeProvider.System.GetElapsedTime(started));
    }

    private static bool ReachedEnds(IConsumer<string?, string> consumer, string topic, IReadOnlyDictionary<int, long> ends)
    {
        var assigned = consumer.Assignment;
        return ends.All(end => assigned.Contains(new TopicPartition(topic, end.Key)) && consumer.Position(new TopicPartition(topic, end.Key)) >= end.Value);
    }
}
