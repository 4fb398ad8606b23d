using System.CommandLine;
using System.Globalization;
using LogCluster.Protocol.V1;
using Spectre.Console;

namespace LogCluster.Cli.ClientCommands.Topics;

/// <summary>
/// <c>logcluster topics describe</c>: each partition's leader, replicas and in-sync replicas (from Metadata), and
/// the topic's effective configs, defaults filled in (from ListTopics: Metadata does not carry configs).
/// </summary>
internal static class TopicsDescribeCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bootstrap = ClientOptions.BootstrapServer();
        var topic = ClientOptions.Topic("The topic to describe");
        var command = new Command("describe", "Show a topic's partitions (leader, replicas, ISR) and configs") { bootstrap, topic };
        command.SetAction((parse, cancellationToken) => CommandFailure.ReportAsync(errors, () => RunAsync(
            new AdminConnection(parse.GetValue(bootstrap)!), parse.GetValue(topic)!, output, cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(AdminConnection admin, string topic, TextWriter output, CancellationToken cancellationToken)
    {
        var metadata = await admin.DescribeTopicAsync(topic, cancellationToken);
        var listed = await admin.CallAsync((client, token) => client.ListTopicsAsync(new ListTopicsRequest(), cancellationToken: token).ResponseAsync, cancellationToken);
        var spec = listed.Topics.FirstOrDefault(t => t.Name == topic);

        var console = SpectreConsole.For(output);
        var replicationFactor = metadata.Partitions.Count > 0 ? metadata.Partitions[0].ReplicaIds.Count : 0;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"topic {topic}: {metadata.Partitions.Count} partitions, replication factor {replicationFactor}"));
        var partitions = new Table().AddColumns("partition", "leader", "leader epoch", "replicas", "ISR");
        foreach (var partition in metadata.Partitions)
        {
            partitions.AddRow(
                Text(partition.Partition),
                partition.LeaderId < 0 ? "none" : Text(partition.LeaderId),
                Text(partition.LeaderEpoch),
                string.Join(',', partition.ReplicaIds),
                string.Join(',', partition.IsrIds));
        }
        console.Write(partitions);
        if (spec is { Configs.Count: > 0 })
        {
            var configs = new Table().AddColumns("config", "value");
            foreach (var (key, value) in spec.Configs.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                configs.AddRow(Markup.Escape(key), Markup.Escape(value));
            }
            console.Write(configs);
        }
        return 0;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
