using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace LogCluster.Cli.ClusterCommands;

/// <summary><c>logcluster cluster start --nodes 3</c>: a local cluster of LogNode processes on loopback, until Ctrl+C.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "How many nodes (each a voter of the metadata quorum)", DefaultValueFactory = _ => 3 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder for the nodes' data (node-1, node-2, ...); default: a new temporary folder" };
        var start = new Command("start", "Start a local cluster on loopback and run it until Ctrl+C") { nodes, dataDir };
        start.SetAction((parse, cancellationToken) => StartAsync(parse.GetValue(nodes), parse.GetValue(dataDir), cancellationToken));
        return new Command("cluster", "Run a local cluster") { start };
    }

    private static async Task<int> StartAsync(int nodeCount, string? dataDirectory, CancellationToken cancellationToken)
    {
        var baseDirectory = Path.GetFullPath(dataDirectory ?? Path.Combine(Path.GetTempPath(), "logcluster-" + Guid.NewGuid().ToString("N")));
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(nodeCount, baseDirectory);
        var table = new Table().AddColumns("node", "address", "data directory");
        foreach (var (node, id) in cluster.Nodes.Select((n, i) => (n, i + 1)))
        {
            table.AddRow(id.ToString(CultureInfo.InvariantCulture), node.Address.ToString(), node.DataDirectory);
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.CurrentCulture, $"quorum: {cluster.Voters}");
        AnsiConsole.MarkupLineInterpolated(CultureInfo.CurrentCulture, $"bootstrap.servers=[green]{cluster.BootstrapServers}[/]  (Ctrl+C stops the cluster)");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: stop every node cleanly.
        }
        foreach (var node in cluster.Nodes.Where(n => n.IsRunning))
        {
            await node.StopAsync();
        }
        return 0;
    }
}
