using System.CommandLine;
using System.CommandLine.Parsing;
using LogCluster.Protocol.V1;

namespace LogCluster.Cli.ClientCommands.Topics;

/// <summary><c>logcluster topics create</c>: one topic with its partitions, replication factor and configs.</summary>
internal static class TopicsCreateCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bootstrap = ClientOptions.BootstrapServer();
        var topic = ClientOptions.Topic("The topic to create");
        var partitions = new Option<int>("--partitions") { Description = "Number of partitions", DefaultValueFactory = _ => 1 };
        var replicationFactor = new Option<int>("--replication-factor") { Description = "Copies of each partition, at most the number of nodes", DefaultValueFactory = _ => 1 };
        var configs = new Option<string[]>("--config")
        {
            Description = "A topic config as key=value (retention.ms=60000, min.insync.replicas=2, ...); repeat it or list several",
            AllowMultipleArgumentsPerToken = true,
        };
        configs.Validators.Add(RejectMalformedConfigs);
        var command = new Command("create", "Create a topic") { bootstrap, topic, partitions, replicationFactor, configs };
        command.SetAction((parse, cancellationToken) => CommandFailure.ReportAsync(errors, () => RunAsync(
            new AdminConnection(parse.GetValue(bootstrap)!),
            Spec(parse.GetValue(topic)!, parse.GetValue(partitions), parse.GetValue(replicationFactor), parse.GetValue(configs) ?? []),
            output,
            cancellationToken)));
        return command;
    }

    private static void RejectMalformedConfigs(OptionResult result)
    {
        foreach (var token in result.Tokens.Where(t => t.Value.IndexOf('=', StringComparison.Ordinal) < 1))
        {
            result.AddError($"--config {token.Value}: expected key=value");
        }
    }

    private static TopicSpec Spec(string name, int partitions, int replicationFactor, string[] configs)
    {
        var spec = new TopicSpec { Name = name, Partitions = partitions, ReplicationFactor = replicationFactor };
        foreach (var config in configs)
        {
            var equals = config.IndexOf('=', StringComparison.Ordinal);
            spec.Configs[config[..equals]] = config[(equals + 1)..];
        }
        return spec;
    }

    private static async Task<int> RunAsync(AdminConnection admin, TopicSpec spec, TextWriter output, CancellationToken cancellationToken)
    {
        var response = await admin.CallAsync((client, token) => client.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } }, cancellationToken: token).ResponseAsync, cancellationToken);
        TopicResults.ThrowIfFailed(response.Results.Single(), "not created");
        await output.WriteLineAsync($"created topic {spec.Name} ({spec.Partitions} partitions, replication factor {spec.ReplicationFactor})");
        return 0;
    }
}
