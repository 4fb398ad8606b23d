using System.Diagnostics;
using LogCluster.Client;
using LogCluster.Producer;

namespace LogCluster.Cli.Demo;

/// <summary>The demo's two sending styles, both through the producer SDK.</summary>
internal static class DemoProducer
{
    public static string Value(string mode, int index) => $"{mode}-{index}";

    /// <summary>Sync: each Send awaited before the next; returns each record's latency in microseconds.</summary>
    public static double[] SendSync(IProducer<string, string> producer, string topic, int records)
    {
        var latencies = new double[records];
        for (var i = 0; i < records; i++)
        {
            var started = Stopwatch.GetTimestamp();
            producer.Send(new ProducerRecord<string, string>(topic, $"key-{i}", Value("sync", i))).GetAwaiter().GetResult();
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
        return latencies;
    }

    /// <summary>Async with callbacks: sends everything, then waits for the last callback; returns the failures.</summary>
    public static async Task<int> SendWithCallbacksAsync(IProducer<string, string> producer, string topic, int records)
    {
        var failures = 0;
        var outstanding = records;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnDelivery(RecordMetadata? metadata, LogClusterException? error)
        {
            if (error is not null)
            {
                Interlocked.Increment(ref failures);
            }
            if (Interlocked.Decrement(ref outstanding) == 0)
            {
                done.SetResult();
            }
        }
        for (var i = 0; i < records; i++)
        {
            producer.Send(new ProducerRecord<string, string>(topic, $"key-{i}", Value("async", i)), OnDelivery);
        }
        await done.Task;
        return failures;
    }
}
