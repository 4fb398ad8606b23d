using Confluent.Kafka;

// A consumer group member for the tests: LogCluster.Tests.KafkaMember <bootstrap> <group> <topic> <classic|consumer>
// It consumes, commits every record it read, and prints one line per event on standard output, flushed at once
// (the test may SIGKILL it at any moment): "assigned p,p,...", "revoked p,p,...", "read <partition> <offset> <value>".
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: LogCluster.Tests.KafkaMember <bootstrap> <group> <topic> <classic|consumer>");
    return 2;
}
var (bootstrap, group, topic, protocol) = (args[0], args[1], args[2], args[3] == "consumer" ? GroupProtocol.Consumer : GroupProtocol.Classic);
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var config = new ConsumerConfig
{
    BootstrapServers = bootstrap,
    GroupId = group,
    GroupProtocol = protocol,
    AutoOffsetReset = AutoOffsetReset.Earliest,
    EnableAutoCommit = false,
};
if (protocol == GroupProtocol.Classic)
{
    // Short enough that a killed member's partitions move within the test's patience.
    config.SessionTimeoutMs = 6_000;
    config.HeartbeatIntervalMs = 500;
    config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
}
using var consumer = new ConsumerBuilder<Ignore, string>(config)
    .SetPartitionsAssignedHandler((_, partitions) => output.WriteLine($"assigned {string.Join(',', partitions.Select(p => p.Partition.Value))}"))
    .SetPartitionsRevokedHandler((_, partitions) => output.WriteLine($"revoked {string.Join(',', partitions.Select(p => p.Partition.Value))}"))
    .SetPartitionsLostHandler((_, partitions) => output.WriteLine($"revoked {string.Join(',', partitions.Select(p => p.Partition.Value))}"))
    .Build();
consumer.Subscribe(topic);
// The test keeps standard input open; when it closes (the test host is gone), so does this member.
var parentGone = Task.Run(() => Console.In.ReadToEnd());
while (!parentGone.IsCompleted)
{
    if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
    {
        output.WriteLine($"read {result.Partition.Value} {result.Offset.Value} {result.Message.Value}");
        try
        {
            consumer.Commit(result);
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration)
        {
            // Not committed: the next record's commit covers it.
        }
    }
}
consumer.Close();
return 0;
