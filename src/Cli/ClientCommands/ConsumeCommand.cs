using System.CommandLine;
using System.Globalization;
using LogCluster.Consumer;

namespace LogCluster.Cli.ClientCommands;

/// <summary>
/// <c>logcluster consume</c>: prints records as <c>partition, offset, value</c> lines (tab-separated, value as
/// UTF-8) until Ctrl+C. With <c>--group</c> it joins the consumer group and commits what it printed (auto
/// commit); without, it reads every partition of the topic itself. Partition changes go to stderr.
/// </summary>
internal static class ConsumeCommand
{
    /// <param name="output">Where records go (stdout).</param>
    /// <param name="errors">Where partition changes go (stderr).</param>
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bootstrap = ClientOptions.BootstrapServer();
        var topic = ClientOptions.Topic("The topic to read");
        var group = new Option<string?>("--group") { Description = "Join this consumer group (its committed offsets, its share of the partitions)" };
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Without a committed offset, start at the beginning rather than the end" };
        var sessionTimeout = new Option<int>("--session-timeout-ms") { Description = "session.timeout.ms", DefaultValueFactory = _ => 45_000 };
        var heartbeatInterval = new Option<int>("--heartbeat-interval-ms") { Description = "heartbeat.interval.ms", DefaultValueFactory = _ => 3_000 };
        var commitInterval = new Option<int>("--auto-commit-interval-ms") { Description = "auto.commit.interval.ms", DefaultValueFactory = _ => 5_000 };
        var partition = new Option<int?>("--partition") { Description = "Read only this partition (not with --group)" };
        var offset = new Option<long?>("--offset") { Description = "Start at this offset of --partition, whatever is committed" };
        var maxMessages = new Option<long?>("--max-messages") { Description = "Exit after printing this many records; without it, follow the topic until Ctrl+C" };
        var command = new Command("consume", "Print a topic's records, following new ones") { bootstrap, topic, group, fromBeginning, partition, offset, maxMessages, sessionTimeout, heartbeatInterval, commitInterval };
        command.Validators.Add(result =>
        {
            if (result.GetValue(offset) is not null && result.GetValue(partition) is null)
            {
                result.AddError("--offset needs --partition");
            }
            if (result.GetValue(partition) is not null && result.GetValue(group) is not null)
            {
                result.AddError("--partition reads without a group: a group's members get their partitions from the coordinator");
            }
        });
        command.SetAction((parse, cancellationToken) => CommandFailure.ReportAsync(errors, () => RunAsync(
            new ConsumerConfig
            {
                BootstrapServers = parse.GetValue(bootstrap)!,
                GroupId = parse.GetValue(group),
                AutoOffsetReset = parse.GetValue(fromBeginning) ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
                SessionTimeout = TimeSpan.FromMilliseconds(parse.GetValue(sessionTimeout)),
                HeartbeatInterval = TimeSpan.FromMilliseconds(parse.GetValue(heartbeatInterval)),
                AutoCommitInterval = TimeSpan.FromMilliseconds(parse.GetValue(commitInterval)),
            },
            new ReadPlan(parse.GetValue(topic)!, parse.GetValue(partition), parse.GetValue(offset), parse.GetValue(maxMessages)),
            output,
            errors,
            cancellationToken)));
        return command;
    }

    /// <summary>What to read: a topic, or one partition of it from an offset; how many records before exiting.</summary>
    private sealed record ReadPlan(string Topic, int? Partition, long? Offset, long? MaxMessages);

    private static async Task<int> RunAsync(ConsumerConfig config, ReadPlan plan, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var topic = plan.Topic;
        await using var consumer = new ConsumerBuilder<byte[]?, string?>(config)
            .SetPartitionsAssignedHandler((_, partitions) => errors.WriteLine($"assigned: {string.Join(' ', partitions)}"))
            .SetPartitionsRevokedHandler((_, partitions) => errors.WriteLine($"revoked: {string.Join(' ', partitions)}"))
            .Build();
        if (plan.Partition is { } only)
        {
            // Without --offset the position is unset, so auto.offset.reset (--from-beginning) decides.
            consumer.Assign([new TopicPartitionOffset(topic, only, plan.Offset ?? Offsets.Unset)]);
        }
        else if (config.GroupId is null)
        {
            var partitions = (await new AdminConnection(config.BootstrapServers).DescribeTopicAsync(topic, cancellationToken)).Partitions.Count;
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)));
        }
        else
        {
            consumer.Subscribe([topic]);
        }
        long printed = 0;
        try
        {
            await foreach (var record in consumer.ReadAllAsync(cancellationToken))
            {
                // Printed before the next Consume: auto commit covers only what was printed.
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{record.Partition}\t{record.Offset}\t{record.Value}"));
                if (++printed == plan.MaxMessages)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: closing commits and leaves the group.
        }
        return 0;
    }
}
