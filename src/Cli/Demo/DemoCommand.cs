using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using LogCluster.Producer;
using LogCluster.Protocol.V1;
using Spectre.Console;

namespace LogCluster.Cli.Demo;

/// <summary>
/// The README's main job: starts a local 3-node cluster, creates a replicated topic (RF 3, min.insync.replicas 2),
/// sends records with acks=all in sync and in async mode, reads everything back from the partition leaders and
/// checks that every acknowledged record is there exactly once.
/// </summary>
internal static class DemoCommand
{
    private const string Topic = "demo";
    private const int Partitions = 3;
    private const int Nodes = 3;

    public static Command Create()
    {
        var syncRecords = new Option<int>("--sync-records") { Description = "Records sent one at a time, each acknowledged before the next", DefaultValueFactory = _ => 2_000 };
        var asyncRecords = new Option<int>("--async-records") { Description = "Records sent in batches with several requests in flight", DefaultValueFactory = _ => 300_000 };
        var command = new Command("demo", "Start a local 3-node cluster, send records in sync and async mode, read them back and verify") { syncRecords, asyncRecords };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(syncRecords), parse.GetValue(asyncRecords), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int syncRecords, int asyncRecords, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "logcluster-demo-" + Guid.NewGuid().ToString("N"));
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(Nodes, dataDirectory);
        foreach (var (node, id) in cluster.Nodes.Select((n, i) => (n, i + 1)))
        {
            AnsiConsole.MarkupLineInterpolated(CultureInfo.CurrentCulture, $"[green]LogNode {id}[/] on {node.Address}, data in {node.DataDirectory}");
        }
        var channels = cluster.Nodes.Select(n => GrpcChannel.ForAddress(n.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 })).ToList();
        var admin = new AdminService.AdminServiceClient(channels[0]);
        await CreateTopicAsync(admin, cancellationToken);

        var config = new ProducerConfig { BootstrapServers = cluster.BootstrapServers, ClientId = "demo", Acks = LogCluster.Producer.Acks.All };
        double[] latencies;
        TimeSpan syncElapsed, asyncElapsed;
        int failures;
        await using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            var started = Stopwatch.GetTimestamp();
            latencies = await Task.Run(() => DemoProducer.SendSync(producer, Topic, syncRecords), cancellationToken);
            syncElapsed = Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            failures = await DemoProducer.SendWithCallbacksAsync(producer, Topic, asyncRecords);
            asyncElapsed = Stopwatch.GetElapsedTime(started);
        }

        var leaders = (await admin.MetadataAsync(new MetadataRequest { Topics = { Topic } }, cancellationToken: cancellationToken)).Topics[0].Partitions;
        var read = await new WireConsumer(p => new LogService.LogServiceClient(channels[leaders[p].LeaderId - 1]), Topic, Partitions).ReadAllAsync(cancellationToken);
        var lost = Expected("sync", syncRecords).Concat(Expected("async", asyncRecords)).Except(read).Count();
        var duplicated = read.Count - read.Distinct().Count();

        Array.Sort(latencies);
        var table = new Table().AddColumns("mode", "records", "records/s", "p50 ack latency");
        table.AddRow("sync: Send(...).GetAwaiter().GetResult(), acks=all", $"{syncRecords:N0}", Rate(syncRecords, syncElapsed), $"{latencies[latencies.Length / 2]:N0} us");
        table.AddRow("async: Send(record, callback), acks=all", $"{asyncRecords:N0}", Rate(asyncRecords, asyncElapsed), "-");
        AnsiConsole.Write(table);
        var clean = lost == 0 && duplicated == 0 && failures == 0;
        AnsiConsole.MarkupLineInterpolated(CultureInfo.CurrentCulture, $"read back {read.Count:N0} records: [{(clean ? "green" : "red")}]{failures} failed sends, {lost} lost, {duplicated} duplicated[/]");
        channels.ForEach(c => c.Dispose());
        foreach (var node in cluster.Nodes)
        {
            await node.StopAsync();
        }
        Directory.Delete(dataDirectory, recursive: true);
        return clean ? 0 : 1;
    }

    private static async Task CreateTopicAsync(AdminService.AdminServiceClient admin, CancellationToken cancellationToken)
    {
        var spec = new TopicSpec { Name = Topic, Partitions = Partitions, ReplicationFactor = Nodes, Configs = { ["min.insync.replicas"] = "2" } };
        var result = (await admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } }, cancellationToken: cancellationToken)).Results[0];
        if (result.ErrorCode != ErrorCode.None)
        {
            throw new InvalidOperationException($"create topic failed: {result.ErrorCode} {result.ErrorMessage}");
        }
    }

    private static IEnumerable<string> Expected(string mode, int count) => Enumerable.Range(0, count).Select(i => DemoProducer.Value(mode, i));

    private static string Rate(int records, TimeSpan elapsed) => $"{records / elapsed.TotalSeconds:N0}";
}
