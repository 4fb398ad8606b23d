using System.CommandLine;
using LogCluster.Protocol.V1;

namespace LogCluster.Cli.ClientCommands.Topics;

/// <summary><c>logcluster topics delete</c>: removes a topic and all its data.</summary>
internal static class TopicsDeleteCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var bootstrap = ClientOptions.BootstrapServer();
        var topic = ClientOptions.Topic("The topic to delete, with all its records");
        var command = new Command("delete", "Delete a topic and its data") { bootstrap, topic };
        command.SetAction((parse, cancellationToken) => CommandFailure.ReportAsync(errors, () => RunAsync(
            new AdminConnection(parse.GetValue(bootstrap)!), parse.GetValue(topic)!, output, cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(AdminConnection admin, string topic, TextWriter output, CancellationToken cancellationToken)
    {
        var response = await admin.CallAsync((client, token) => client.DeleteTopicsAsync(new DeleteTopicsRequest { Names = { topic } }, cancellationToken: token).ResponseAsync, cancellationToken);
        TopicResults.ThrowIfFailed(response.Results.Single(), "not deleted");
        await output.WriteLineAsync($"deleted topic {topic}");
        return 0;
    }
}
