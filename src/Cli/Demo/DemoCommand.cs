using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LogCluster.Cli.ClientCommands;
using LogCluster.Producer;
using LogCluster.Protocol.V1;
using Spectre.Console;

namespace LogCluster.Cli.Demo;

/// <summary>
/// The README's main job: starts a local 3-node cluster, creates a replicated topic (RF 3, min.insync.replicas 2),
/// sends records with acks=all in sync and in async mode, reads everything back with the consumer SDK in the
/// consumer group demo-readers, and checks that every acknowledged record is there exactly once.
/// </summary>
internal static class DemoCommand
{
    private const string Topic = "demo";
    private const int Partitions = 3;
    private const int Nodes = 3;

    /// <param name="output">Where the nodes, the summary table and the verdict go (stdout).</param>
    public static Command Create(TextWriter output)
    {
        var syncRecords = new Option<int>("--sync-records") { Description = "Records sent one at a time, each acknowledged before the next", DefaultValueFactory = _ => 2_000 };
        var asyncRecords = new Option<int>("--async-records") { Description = "Records sent with callbacks, batched, several requests in flight", DefaultValueFactory = _ => 300_000 };
        var command = new Command("demo", "Start a local 3-node cluster, send records in sync and async mode, read them back in a consumer group and verify") { syncRecords, asyncRecords };
        command.SetAction((parse, cancellationToken) => RunAsync(SpectreConsole.For(output), parse.GetValue(syncRecords), parse.GetValue(asyncRecords), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(IAnsiConsole console, int syncRecords, int asyncRecords, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "logcluster-demo-" + Guid.NewGuid().ToString("N"));
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(Nodes, dataDirectory);
        foreach (var (node, id) in cluster.Nodes.Select((n, i) => (n, i + 1)))
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[green]LogNode {id}[/] on {node.Address}, data in {node.DataDirectory}");
        }
        await CreateTopicAsync(new AdminConnection(cluster.BootstrapServers), cancellationToken);

        var ends = new AcknowledgedEnds();
        var sync = new DeliveryTracker(new LatencyRecorder(), ends.Add);
        var async = new DeliveryTracker(new LatencyRecorder(), ends.Add);
        var config = new ProducerConfig { BootstrapServers = cluster.BootstrapServers, ClientId = "demo", Acks = LogCluster.Producer.Acks.All };
        TimeSpan syncElapsed, asyncElapsed;
        await using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            // Both on a thread of their own: a sync send blocks it, and so does a callback send while buffer.memory is full.
            var started = Stopwatch.GetTimestamp();
            await Task.Run(() => DemoProducer.SendSync(producer, Topic, syncRecords, sync), cancellationToken);
            await sync.AllResolved;
            syncElapsed = Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            await Task.Run(() => DemoProducer.SendWithCallbacks(producer, Topic, asyncRecords, async), cancellationToken);
            await async.AllResolved;
            asyncElapsed = Stopwatch.GetElapsedTime(started);
        }

        var read = await GroupReadBack.ReadAsync(cluster.BootstrapServers, Topic, ends.Snapshot(), cancellationToken);
        var lost = Expected("sync", syncRecords).Concat(Expected("async", asyncRecords)).Count(value => !read.Counts.ContainsKey(value));
        var duplicated = read.Records - read.Counts.Count;
        var failures = sync.Failed + async.Failed;

        console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"topic {Topic}: {Partitions} partitions, replication factor {Nodes}, min.insync.replicas=2; producer acks=all");
        var table = new Table().AddColumns("mode", "records", "records/s", "p50 ack latency", "p99 ack latency");
        AddRow(table, "sync: Send(...).GetAwaiter().GetResult()", sync.Acknowledged, syncElapsed, sync.Latencies.Total());
        AddRow(table, "async: Send(record, callback)", async.Acknowledged, asyncElapsed, async.Latencies.Total());
        AddRow(table, $"read back: consumer group {GroupReadBack.GroupId}", read.Records, read.Elapsed, latency: null);
        console.Write(table);
        var clean = lost == 0 && duplicated == 0 && failures == 0;
        console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"read back {read.Records:N0} records with consumer group {GroupReadBack.GroupId}: [{(clean ? "green" : "red")}]{failures} failed sends, {lost} lost, {duplicated} duplicated[/]");
        foreach (var error in sync.FirstErrors.Concat(async.FirstErrors))
        {
            console.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]failed send:[/] {error}");
        }
        foreach (var node in cluster.Nodes)
        {
            await node.StopAsync();
        }
        Directory.Delete(dataDirectory, recursive: true);
        return clean ? 0 : 1;
    }

    private static async Task CreateTopicAsync(AdminConnection admin, CancellationToken cancellationToken)
    {
        var spec = new TopicSpec { Name = Topic, Partitions = Partitions, ReplicationFactor = Nodes, Configs = { ["min.insync.replicas"] = "2" } };
        var result = (await admin.CallAsync((client, token) => client.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } }, cancellationToken: token).ResponseAsync, cancellationToken)).Results[0];
        if (result.ErrorCode != ErrorCode.None)
        {
            throw new InvalidOperationException($"create topic failed: {result.ErrorCode} {result.ErrorMessage}");
        }
    }

    private static IEnumerable<string> Expected(string mode, int count) => Enumerable.Range(0, count).Select(i => DemoProducer.Value(mode, i));

    private static void AddRow(Table table, string mode, long records, TimeSpan elapsed, LatencyStats? latency) => table.AddRow(
        Markup.Escape(mode),
        records.ToString("N0", CultureInfo.InvariantCulture),
        (records / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("N0", CultureInfo.InvariantCulture),
        latency is null ? "-" : Milliseconds(latency.P50Ms),
        latency is null ? "-" : Milliseconds(latency.P99Ms));

    private static string Milliseconds(double value) => value.ToString("N2", CultureInfo.InvariantCulture) + " ms";
}
