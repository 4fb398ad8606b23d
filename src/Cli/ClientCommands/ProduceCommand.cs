using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LogCluster.Client;
using LogCluster.Producer;

namespace LogCluster.Cli.ClientCommands;

/// <summary>
/// <c>logcluster produce</c>: sends each line of stdin as a record (or <c>--generate N</c> records), with
/// callbacks by default or one awaited send at a time with <c>--sync</c>. The counts go to stderr at the end, so
/// stdout stays clean for pipes; exit code 1 when any record failed.
/// </summary>
internal static class ProduceCommand
{
    /// <param name="input">Where records are read from (stdin).</param>
    /// <param name="errors">Where the counts and failures go (stderr).</param>
    public static Command Create(TextReader input, TextWriter errors)
    {
        var bootstrap = ClientOptions.BootstrapServer();
        var topic = ClientOptions.Topic("The topic to write to");
        var producerOptions = new ProducerOptions();
        var keySeparator = new Option<string?>("--key-separator") { Description = "Read each line as key<separator>value (split at the first separator); without it lines are values with no key" };
        var generate = new Option<int?>("--generate") { Description = "Send this many generated records instead of reading stdin" };
        var recordSize = new Option<int>("--record-size") { Description = "Bytes of each generated value", DefaultValueFactory = _ => 100 };
        var command = new Command("produce", "Send records from stdin, one per line, or generated ones") { bootstrap, topic, keySeparator, generate, recordSize };
        producerOptions.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandFailure.ReportAsync(errors, async () =>
        {
            var config = producerOptions.ToConfig(parse, parse.GetValue(bootstrap)!, "logcluster-produce");
            var records = parse.GetValue(generate) is { } count
                ? Generated(count, parse.GetValue(recordSize)).ToAsyncEnumerable()
                : Lines(input, parse.GetValue(keySeparator), cancellationToken);
            return await RunAsync(config, parse.GetValue(topic)!, records, parse.GetValue(producerOptions.Sync), errors, cancellationToken);
        }));
        return command;
    }

    /// <summary>A record to send, or a line that could not be one (no key separator).</summary>
    private readonly record struct Line(string? Key, string? Value, string? Problem);

    private static async IAsyncEnumerable<Line> Lines(TextReader input, string? separator, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var number = 0;
        while (await input.ReadLineAsync(cancellationToken) is { } line)
        {
            number++;
            if (string.IsNullOrEmpty(separator))
            {
                yield return new Line(null, line, null);
                continue;
            }
            var at = line.IndexOf(separator, StringComparison.Ordinal);
            yield return at < 0
                ? new Line(null, null, string.Create(CultureInfo.InvariantCulture, $"line {number} has no key separator '{separator}'"))
                : new Line(line[..at], line[(at + separator.Length)..], null);
        }
    }

    /// <summary>Values of exactly <paramref name="size"/> characters that start with their index, so each one can be told apart.</summary>
    private static IEnumerable<Line> Generated(int count, int size)
    {
        for (var i = 0; i < count; i++)
        {
            var index = i.ToString(CultureInfo.InvariantCulture);
            yield return new Line(null, index.Length >= size ? index : index.PadRight(size, '.'), null);
        }
    }

    private static async Task<int> RunAsync(ProducerConfig config, string topic, IAsyncEnumerable<Line> lines, bool sync, TextWriter errors, CancellationToken cancellationToken)
    {
        // Checked first: the producer would wait max.block.ms (60 s) for a topic that does not exist.
        await new AdminConnection(config.BootstrapServers).DescribeTopicAsync(topic, cancellationToken);
        var tracker = new DeliveryTracker(new LatencyRecorder());
        var unparsed = 0;
        await using (var producer = ProducerOptions.Build<string?, string?>(config))
        {
            try
            {
                await foreach (var line in lines.WithCancellation(cancellationToken))
                {
                    if (line.Problem is not null)
                    {
                        unparsed++;
                        await errors.WriteLineAsync($"skipped: {line.Problem}");
                        continue;
                    }
                    await SendAsync(producer, tracker, new ProducerRecord<string?, string?>(topic, line.Key, line.Value), sync, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: stop reading; what was sent still gets its outcome below.
            }
            tracker.FinishSending();
            await tracker.AllResolved;
        }
        foreach (var error in tracker.FirstErrors)
        {
            await errors.WriteLineAsync($"failed: {error}");
        }
        await errors.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{tracker.Acknowledged} records acknowledged, {tracker.Failed + unparsed} failed"));
        return tracker.Failed + unparsed == 0 ? 0 : 1;
    }

    private static async Task SendAsync(IProducer<string?, string?> producer, DeliveryTracker tracker, ProducerRecord<string?, string?> record, bool sync, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        tracker.Sending();
        if (!sync)
        {
            producer.Send(record, tracker.Callback(started));
            return;
        }
        try
        {
            tracker.Resolve(await producer.Send(record, cancellationToken), null, started);
        }
        catch (LogClusterException e)
        {
            tracker.Resolve(null, e, started);
        }
        catch (OperationCanceledException)
        {
            // Counted as failed, so the tracker does not wait for an outcome that will not come.
            tracker.Resolve(null, null, started);
            throw;
        }
    }
}
