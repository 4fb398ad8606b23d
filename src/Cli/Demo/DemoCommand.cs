using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.V1;
using Spectre.Console;

namespace LogCluster.Cli.Demo;

/// <summary>
/// The README's main job: starts a local node, creates a topic, sends records in sync and in async mode, reads
/// everything back and checks that every acknowledged record is there exactly once.
/// </summary>
internal static class DemoCommand
{
    private const string Topic = "demo";
    private const int Partitions = 3;

    public static Command Create()
    {
        var syncRecords = new Option<int>("--sync-records") { Description = "Records sent one at a time, each acknowledged before the next", DefaultValueFactory = _ => 2_000 };
        var asyncRecords = new Option<int>("--async-records") { Description = "Records sent in batches with several requests in flight", DefaultValueFactory = _ => 300_000 };
        var recordBytes = new Option<int>("--record-bytes") { Description = "Bytes per record value", DefaultValueFactory = _ => 100 };
        var command = new Command("demo", "Start a local node, send records in sync and async mode, read them back and verify") { syncRecords, asyncRecords, recordBytes };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(syncRecords), parse.GetValue(asyncRecords), parse.GetValue(recordBytes), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int syncRecords, int asyncRecords, int recordBytes, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "logcluster-demo-" + Guid.NewGuid().ToString("N"));
        await using var node = await LocalNode.StartAsync(dataDirectory);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.CurrentCulture, $"[green]LogNode[/] on {node.Address}, data in {dataDirectory}");
        using var channel = GrpcChannel.ForAddress(node.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
        var admin = new AdminService.AdminServiceClient(channel);
        var log = new LogService.LogServiceClient(channel);
        await CreateTopicAsync(admin, cancellationToken);

        var producer = new WireProducer(log, Topic, Partitions, recordBytes);
        var started = Stopwatch.GetTimestamp();
        var latencies = await producer.SendSyncAsync(syncRecords, cancellationToken);
        var syncElapsed = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        await producer.SendAsyncPipelined(asyncRecords, batchRecords: 1_000, inFlight: 8, cancellationToken);
        var asyncElapsed = Stopwatch.GetElapsedTime(started);

        var read = await new WireConsumer(log, Topic, Partitions).ReadAllAsync(cancellationToken);
        var lost = Expected("sync", syncRecords).Concat(Expected("async", asyncRecords)).Except(read).Count();
        var duplicated = read.Count - read.Distinct().Count();

        Array.Sort(latencies);
        var table = new Table().AddColumns("mode", "records", "records/s", "MB/s", "p50 ack latency");
        table.AddRow("sync (1 record per request)", $"{syncRecords:N0}", Rate(syncRecords, syncElapsed), MegabytesPerSecond(syncRecords, recordBytes, syncElapsed), $"{latencies[latencies.Length / 2]:N0} us");
        table.AddRow("async (batches of 1,000, 8 in flight)", $"{asyncRecords:N0}", Rate(asyncRecords, asyncElapsed), MegabytesPerSecond(asyncRecords, recordBytes, asyncElapsed), "-");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.CurrentCulture, $"read back {read.Count:N0} records: [{(lost == 0 && duplicated == 0 ? "green" : "red")}]{lost} lost, {duplicated} duplicated[/]");
        await node.StopAsync();
        Directory.Delete(dataDirectory, recursive: true);
        return lost == 0 && duplicated == 0 ? 0 : 1;
    }

    private static async Task CreateTopicAsync(AdminService.AdminServiceClient admin, CancellationToken cancellationToken)
    {
        var spec = new TopicSpec { Name = Topic, Partitions = Partitions, ReplicationFactor = 1 };
        var result = (await admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } }, cancellationToken: cancellationToken)).Results[0];
        if (result.ErrorCode != ErrorCode.None)
        {
            throw new InvalidOperationException($"create topic failed: {result.ErrorCode} {result.ErrorMessage}");
        }
    }

    private static IEnumerable<string> Expected(string mode, int count) => Enumerable.Range(0, count).Select(i => WireProducer.Value(mode, i));

    private static string Rate(int records, TimeSpan elapsed) => $"{records / elapsed.TotalSeconds:N0}";

    private static string MegabytesPerSecond(int records, int recordBytes, TimeSpan elapsed) => $"{(double)records * recordBytes / 1e6 / elapsed.TotalSeconds:N1}";
}
