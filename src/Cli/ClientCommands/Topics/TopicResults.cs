using LogCluster.Protocol.V1;

namespace LogCluster.Cli.ClientCommands.Topics;

/// <summary>Turns a node's refusal of a topic change into the message the user sees.</summary>
internal static class TopicResults
{
    public static void ThrowIfFailed(TopicResult result, string what)
    {
        if (result.ErrorCode != ErrorCode.None)
        {
            var reason = string.IsNullOrEmpty(result.ErrorMessage) ? "" : $": {result.ErrorMessage}";
            throw new CommandFailure($"topic '{result.Name}' {what}: {result.ErrorCode}{reason}");
        }
    }
}
