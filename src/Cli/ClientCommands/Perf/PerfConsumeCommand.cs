using System.CommandLine;
using System.Globalization;
using LogCluster.Consumer;

namespace LogCluster.Cli.ClientCommands.Perf;

/// <summary>
/// <c>logcluster perf consume</c>, after kafka-consumer-perf-test: reads N records from the beginning with the
/// consumer SDK, alone (every partition assigned) or as a member of <c>--group</c>, and prints the time taken,
/// records/s and MB/s (key plus value bytes). The clock starts before the consumer does, so joining a group and
/// finding the first offsets are part of the time, as for any application.
/// </summary>
internal static class PerfConsumeCommand
{
    private sealed record Run(ConsumerConfig Config, string Topic, long Records, TimeSpan Timeout);

    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bootstrap = ClientOptions.BootstrapServer();
        var topic = ClientOptions.Topic("The topic to read");
        var numRecords = new Option<long>("--num-records") { Description = "How many records to read", Required = true };
        var group = new Option<string?>("--group") { Description = "Read as a member of this consumer group (from its committed offsets, else the beginning)" };
        var timeout = new Option<int>("--timeout-ms") { Description = "Give up when no record arrives for this long", DefaultValueFactory = _ => 10_000 };
        var command = new Command("consume", "Read N records from the beginning and report throughput") { bootstrap, topic, numRecords, group, timeout };
        command.SetAction((parse, cancellationToken) => CommandFailure.ReportAsync(errors, () => RunAsync(
            new Run(
                new ConsumerConfig
                {
                    BootstrapServers = parse.GetValue(bootstrap)!,
                    ClientId = "logcluster-perf-consume",
                    GroupId = parse.GetValue(group),
                    AutoOffsetReset = AutoOffsetReset.Earliest,
                },
                parse.GetValue(topic)!,
                parse.GetValue(numRecords),
                TimeSpan.FromMilliseconds(parse.GetValue(timeout))),
            output,
            errors,
            cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(Run run, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        // Checked first: a consumer waits for a topic that does not exist yet, which here would only look slow.
        var partitions = (await new AdminConnection(run.Config.BootstrapServers).DescribeTopicAsync(run.Topic, cancellationToken)).Partitions.Count;
        var started = TimeProvider.System.GetTimestamp();
        TimeSpan? firstRecord = null;
        TimeSpan elapsed;
        long records = 0, bytes = 0;
        await using (var consumer = new ConsumerBuilder<byte[]?, byte[]?>(run.Config).Build())
        {
            if (run.Config.GroupId is null)
            {
                consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(run.Topic, p, Offsets.Beginning)));
            }
            else
            {
                consumer.Subscribe([run.Topic]);
            }
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                while (records < run.Records)
                {
                    // Renewed per batch: the timeout is for a silence, not for the whole run.
                    idle.CancelAfter(run.Timeout);
                    foreach (var record in await consumer.ConsumeBatchAsync(idle.Token))
                    {
                        firstRecord ??= TimeProvider.System.GetElapsedTime(started);
                        records++;
                        bytes += (record.Key?.Length ?? 0) + (record.Value?.Length ?? 0);
                        if (records == run.Records)
                        {
                            break;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (idle.IsCancellationRequested)
            {
                // No record for --timeout-ms, or Ctrl+C: report what arrived.
            }
            // Taken before closing: leaving the group is not reading.
            elapsed = TimeProvider.System.GetElapsedTime(started);
        }
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{records} records consumed in {seconds:F2} s (first after {firstRecord?.TotalSeconds ?? 0:F2} s), " +
            $"{records / seconds:F1} records/sec ({bytes / PerfProduceCommand.BytesPerMegabyte / seconds:F2} MB/sec)"));
        if (records >= run.Records)
        {
            return 0;
        }
        await errors.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"error: {records} of {run.Records} records arrived; none came for {run.Timeout.TotalMilliseconds:F0} ms"));
        return 1;
    }
}
