using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LogCluster.Client;
using LogCluster.Producer;

namespace LogCluster.Cli.ClientCommands.Perf;

/// <summary>
/// <c>logcluster perf produce</c>, after kafka-producer-perf-test: sends N records of B bytes, optionally at a
/// target rate, prints a progress line every 5 s and a final line with the throughput and the send-to-ack
/// latency (average, max and percentiles from an HdrHistogram), in Kafka's wording so existing scripts parse it.
/// </summary>
internal static class PerfProduceCommand
{
    /// <summary>Kafka's tool reports MB as 2^20 bytes; so do we, to compare like with like.</summary>
    public const double BytesPerMegabyte = 1024 * 1024;

    private static readonly TimeSpan _reportingInterval = TimeSpan.FromSeconds(5);

    private sealed record Run(ProducerConfig Config, string Topic, long Records, int RecordSize, double RecordsPerSecond, bool Sync);

    public static Command Create(TextWriter output, TextWriter errors, TimeProvider time)
    {
        var bootstrap = ClientOptions.BootstrapServer();
        var topic = ClientOptions.Topic("The topic to write to");
        var numRecords = new Option<long>("--num-records") { Description = "How many records to send", Required = true };
        var recordSize = new Option<int>("--record-size") { Description = "Bytes of each record's value (no key)", DefaultValueFactory = _ => 100 };
        var throughput = new Option<double>("--throughput") { Description = "Target records per second; -1 sends as fast as acknowledgements allow", DefaultValueFactory = _ => -1 };
        var producerOptions = new ProducerOptions();
        var command = new Command("produce", "Send N records and report throughput and latency percentiles") { bootstrap, topic, numRecords, recordSize, throughput };
        producerOptions.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandFailure.ReportAsync(errors, () => RunAsync(
            new Run(
                producerOptions.ToConfig(parse, parse.GetValue(bootstrap)!, "logcluster-perf-produce"),
                parse.GetValue(topic)!,
                parse.GetValue(numRecords),
                parse.GetValue(recordSize),
                parse.GetValue(throughput),
                parse.GetValue(producerOptions.Sync)),
            output,
            errors,
            time,
            cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(Run run, TextWriter output, TextWriter errors, TimeProvider time, CancellationToken cancellationToken)
    {
        // Checked first: the producer would wait max.block.ms (60 s) for a topic that does not exist.
        await new AdminConnection(run.Config.BootstrapServers).DescribeTopicAsync(run.Topic, cancellationToken);
        var tracker = new DeliveryTracker(new LatencyRecorder());
        var record = new ProducerRecord<byte[]?, byte[]>(run.Topic, null, Payload(run.RecordSize));
        TimeSpan elapsed;
        await using (var producer = ProducerOptions.Build<byte[]?, byte[]>(run.Config))
        {
            using var stopReporting = new CancellationTokenSource();
            var reporting = ReportProgressAsync(tracker.Latencies, run.RecordSize, output, time, stopReporting.Token);
            var started = time.GetTimestamp();
            try
            {
                // Off the caller's thread: a callback send blocks while buffer.memory is full.
                await Task.Run(() => SendAllAsync(producer, tracker, record, run, time, cancellationToken), CancellationToken.None);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: report what was sent so far.
            }
            tracker.FinishSending();
            await tracker.AllResolved;
            elapsed = time.GetElapsedTime(started);
            await stopReporting.CancelAsync();
            await reporting;
        }

        var latency = tracker.Latencies.Total();
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{tracker.Acknowledged} records sent, {tracker.Acknowledged / seconds:F1} records/sec ({tracker.Acknowledged * run.RecordSize / BytesPerMegabyte / seconds:F2} MB/sec), " +
            $"{latency.AverageMs:F2} ms avg latency, {latency.MaxMs:F2} ms max latency, " +
            $"{latency.P50Ms:F2} ms 50th, {latency.P95Ms:F2} ms 95th, {latency.P99Ms:F2} ms 99th, {latency.P999Ms:F2} ms 99.9th."));
        if (tracker.Failed == 0)
        {
            return 0;
        }
        foreach (var error in tracker.FirstErrors)
        {
            await errors.WriteLineAsync($"failed: {error}");
        }
        await errors.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{tracker.Failed} records failed"));
        return 1;
    }

    private static async Task SendAllAsync(IProducer<byte[]?, byte[]> producer, DeliveryTracker tracker, ProducerRecord<byte[]?, byte[]> record, Run run, TimeProvider time, CancellationToken cancellationToken)
    {
        var pacer = new RatePacer(run.RecordsPerSecond, time);
        for (long sent = 0; sent < run.Records; sent++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await pacer.WaitForTurnAsync(sent, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            tracker.Sending();
            if (!run.Sync)
            {
                producer.Send(record, tracker.Callback(started));
                continue;
            }
            try
            {
                tracker.Resolve(await producer.Send(record, CancellationToken.None), null, started);
            }
            catch (LogClusterException e)
            {
                tracker.Resolve(null, e, started);
            }
        }
    }

    /// <summary>One line per interval for the records acknowledged in it, as kafka-producer-perf-test prints them.</summary>
    private static async Task ReportProgressAsync(LatencyRecorder latencies, int recordSize, TextWriter output, TimeProvider time, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_reportingInterval, time);
        var windowStarted = time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var window = latencies.TakeInterval();
                var seconds = time.GetElapsedTime(windowStarted).TotalSeconds;
                windowStarted = time.GetTimestamp();
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{window.Count} records sent, {window.Count / seconds:F1} records/sec ({window.Count * recordSize / BytesPerMegabyte / seconds:F2} MB/sec), " +
                    $"{window.AverageMs:F1} ms avg latency, {window.MaxMs:F1} ms max latency."));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over; the final line follows.
        }
    }

    /// <summary>Uppercase letters from a fixed seed, as Kafka's tool fills its payload: the same bytes every run.</summary>
    private static byte[] Payload(int size)
    {
        var random = new Random(0);
        var payload = new byte[size];
        for (var i = 0; i < size; i++)
        {
            payload[i] = (byte)('A' + random.Next(26));
        }
        return payload;
    }
}
