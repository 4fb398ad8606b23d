using System.CommandLine;
using LogCluster.Protocol.V1;

namespace LogCluster.Cli.ClientCommands.Topics;

/// <summary><c>logcluster topics list</c>: every topic's name, one per line, so scripts can read it.</summary>
internal static class TopicsListCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bootstrap = ClientOptions.BootstrapServer();
        var command = new Command("list", "List the topics, one name per line (internal ones such as __consumer_offsets included)") { bootstrap };
        command.SetAction((parse, cancellationToken) => CommandFailure.ReportAsync(errors, () => RunAsync(
            new AdminConnection(parse.GetValue(bootstrap)!), output, cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(AdminConnection admin, TextWriter output, CancellationToken cancellationToken)
    {
        var response = await admin.CallAsync((client, token) => client.ListTopicsAsync(new ListTopicsRequest(), cancellationToken: token).ResponseAsync, cancellationToken);
        foreach (var topic in response.Topics)
        {
            await output.WriteLineAsync(topic.Name);
        }
        return 0;
    }
}
