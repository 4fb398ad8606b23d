using System.Diagnostics;
using LogCluster.Cli.ClientCommands;
using LogCluster.Client;
using LogCluster.Producer;

namespace LogCluster.Cli.Demo;

/// <summary>The demo's two sending styles, both through the producer SDK; outcomes and latencies go to a <see cref="DeliveryTracker"/>.</summary>
internal static class DemoProducer
{
    public static string Value(string mode, int index) => $"{mode}-{index}";

    /// <summary>Sync, as a synchronous application sends: each Send blocked on until it is acknowledged.</summary>
    public static void SendSync(IProducer<string, string> producer, string topic, int records, DeliveryTracker tracker)
    {
        for (var i = 0; i < records; i++)
        {
            var started = Stopwatch.GetTimestamp();
            tracker.Sending();
            try
            {
                var metadata = producer.Send(new ProducerRecord<string, string>(topic, $"key-{i}", Value("sync", i))).GetAwaiter().GetResult();
                tracker.Resolve(metadata, null, started);
            }
            catch (LogClusterException e)
            {
                tracker.Resolve(null, e, started);
            }
        }
        tracker.FinishSending();
    }

    /// <summary>Async with callbacks: every record sent without waiting; the callbacks report the outcomes.</summary>
    public static void SendWithCallbacks(IProducer<string, string> producer, string topic, int records, DeliveryTracker tracker)
    {
        for (var i = 0; i < records; i++)
        {
            var started = Stopwatch.GetTimestamp();
            tracker.Sending();
            producer.Send(new ProducerRecord<string, string>(topic, $"key-{i}", Value("async", i)), tracker.Callback(started));
        }
        tracker.FinishSending();
    }
}
