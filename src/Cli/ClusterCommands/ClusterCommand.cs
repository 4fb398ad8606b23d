using System.CommandLine;
using System.Globalization;
using LogCluster.Cli.ClientCommands;
using LogCluster.Cli.LocalCluster;
using Spectre.Console;

namespace LogCluster.Cli.ClusterCommands;

/// <summary><c>logcluster cluster start --nodes 3</c>: a local cluster of LogNode processes on loopback, until Ctrl+C.</summary>
internal static class ClusterCommand
{
    /// <param name="output">Where the nodes' table goes (stdout).</param>
    public static Command Create(TextWriter output)
    {
        var nodes = new Option<int>("--nodes") { Description = "How many nodes (each a voter of the metadata quorum)", DefaultValueFactory = _ => 3 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder for the nodes' data (node-1, node-2, ...); default: a new temporary folder" };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve Prometheus /metrics of node i on 127.0.0.1:(this + i - 1); default: no metrics listener" };
        var start = new Command("start", "Start a local cluster on loopback and run it until Ctrl+C") { nodes, dataDir, metricsPort };
        start.SetAction((parse, cancellationToken) => StartAsync(SpectreConsole.For(output), parse.GetValue(nodes), parse.GetValue(dataDir), parse.GetValue(metricsPort), cancellationToken));
        return new Command("cluster", "Run a local cluster") { start };
    }

    private static async Task<int> StartAsync(IAnsiConsole console, int nodeCount, string? dataDirectory, int? metricsPort, CancellationToken cancellationToken)
    {
        var baseDirectory = Path.GetFullPath(dataDirectory ?? Path.Combine(Path.GetTempPath(), "logcluster-" + Guid.NewGuid().ToString("N")));
        string? MetricsAddress(int id) => metricsPort is { } first ? string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{first + id - 1}") : null;
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(nodeCount, baseDirectory, _ => NodeHost.Loopback,
            id => MetricsAddress(id) is { } metrics ? ["--metrics-listen", metrics] : []);
        var table = new Table().AddColumns("node", "address", "metrics", "data directory");
        foreach (var (node, id) in cluster.Nodes.Select((n, i) => (n, i + 1)))
        {
            table.AddRow(id.ToString(CultureInfo.InvariantCulture), node.Address.ToString(), MetricsAddress(id) is { } metrics ? $"http://{metrics}/metrics" : "-", node.DataDirectory);
        }
        console.Write(table);
        console.MarkupLineInterpolated(CultureInfo.CurrentCulture, $"quorum: {cluster.Voters}");
        console.MarkupLineInterpolated(CultureInfo.CurrentCulture, $"bootstrap.servers=[green]{cluster.BootstrapServers}[/]  (Ctrl+C stops the cluster)");
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
