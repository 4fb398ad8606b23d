using System.CommandLine;

namespace LogCluster.Cli.ClientCommands.Topics;

/// <summary><c>logcluster topics create|list|describe|delete</c>: topic administration, as kafka-topics.</summary>
internal static class TopicsCommand
{
    /// <param name="output">Where results go (stdout).</param>
    /// <param name="errors">Where the nodes' refusals go (stderr).</param>
    public static Command Create(TextWriter output, TextWriter errors) => new("topics", "Create, list, describe and delete topics")
    {
        TopicsCreateCommand.Create(output, errors),
        TopicsListCommand.Create(output, errors),
        TopicsDescribeCommand.Create(output, errors),
        TopicsDeleteCommand.Create(output, errors),
    };
}
