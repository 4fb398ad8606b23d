using System.Diagnostics;
using HdrHistogram;
using LogCluster.Producer;

namespace LogCluster.Bench;

/// <summary>
/// One producer-SDK scenario: async with callbacks (Send blocks on buffer.memory), or sync from N threads. Plain
/// scenarios use acks=1, which leaves idempotence off; idempotent ones use the defaults (acks=all, idempotence on),
/// which on one node cost the same wait for the ack, so the difference is the idempotent producer's own.
/// </summary>
internal sealed record ProducerScenario(string Name, int RecordBytes, int SyncThreads, bool Idempotent = false, int BatchSize = 16_384, int LingerMs = 5)
{
    public bool IsSync => SyncThreads > 0;

    public static readonly ProducerScenario[] All =
    [
        new("SDK async 1 KiB records (callbacks)", 1024, 0),
        new("SDK async 100 B records (callbacks)", 100, 0),
        new("SDK sync 100 B records, 1 thread", 100, 1),
        new("SDK sync 1 KiB records, 64 threads", 1024, 64),
        new("SDK async 100 B records (callbacks), idempotent", 100, 0, Idempotent: true),
        new("SDK sync 100 B records, 1 thread, idempotent", 100, 1, Idempotent: true),
    ];
}

internal static class ProducerLoad
{
    /// <summary>Sends for warm-up + measure; counts records acknowledged inside the measured window.</summary>
    public static async Task<RunResult> RunAsync(int port, string topic, ProducerScenario scenario, TimeSpan warmup, TimeSpan measure)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = $"127.0.0.1:{port}",
            Acks = scenario.Idempotent ? Acks.All : Acks.Leader,
            ClientId = "bench",
            BatchSize = scenario.BatchSize,
            Linger = TimeSpan.FromMilliseconds(scenario.LingerMs),
        };
        await using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var value = new byte[scenario.RecordBytes];
        Random.Shared.NextBytes(value);
        var record = new ProducerRecord<byte[], byte[]>(topic, null!, value);
        long acknowledged = 0;
        var measuring = 0;
        var latencies = new LongHistogram(TimeStamp.Minutes(1), 3);
        using var stop = new CancellationTokenSource();

        var workers = scenario.IsSync
            ? Enumerable.Range(0, scenario.SyncThreads).Select(_ => Task.Factory.StartNew(() =>
            {
                var local = new LongHistogram(TimeStamp.Minutes(1), 3);
                while (!stop.IsCancellationRequested)
                {
                    var started = Stopwatch.GetTimestamp();
                    producer.Send(record).GetAwaiter().GetResult();
                    if (Volatile.Read(ref measuring) == 1)
                    {
                        local.RecordValue(Stopwatch.GetTimestamp() - started);
                        Interlocked.Increment(ref acknowledged);
                    }
                }
                lock (latencies)
                {
                    latencies.Add(local);
                }
            }, TaskCreationOptions.LongRunning)).ToArray()
            : [Task.Factory.StartNew(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    producer.Send(record, (_, error) =>
                    {
                        if (error is null && Volatile.Read(ref measuring) == 1)
                        {
                            acknowledged++;
                        }
                    });
                }
            }, TaskCreationOptions.LongRunning)];

        await Task.Delay(warmup);
        Volatile.Write(ref measuring, 1);
        var window = Stopwatch.StartNew();
        await Task.Delay(measure);
        Volatile.Write(ref measuring, 0);
        var seconds = window.Elapsed.TotalSeconds;
        var records = Interlocked.Read(ref acknowledged);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        await producer.FlushAsync();
        var micros = (long v) => v * 1e6 / Stopwatch.Frequency;
        return new RunResult(records / seconds, records * scenario.RecordBytes / 1e6 / seconds,
            latencies.TotalCount > 0 ? micros(latencies.GetValueAtPercentile(50)) : 0,
            latencies.TotalCount > 0 ? micros(latencies.GetValueAtPercentile(99)) : 0);
    }
}
