using System.CommandLine;

namespace LogCluster.Cli.ClientCommands;

/// <summary>The options every client command spells the same way, as Kafka's tools do.</summary>
internal static class ClientOptions
{
    public static Option<string> BootstrapServer() =>
        new("--bootstrap-server") { Description = "host:port of any node (a comma-separated list is tried in order)", Required = true };

    public static Option<string> Topic(string description) =>
        new("--topic") { Description = description, Required = true };
}
