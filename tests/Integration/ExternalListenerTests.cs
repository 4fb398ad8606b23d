using System.Diagnostics;
using Grpc.Net.Client;
using LogCluster.Cli.LocalCluster;
using LogCluster.Consumer;
using LogCluster.Producer;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration;

/// <summary>
/// A node with an external listener (as behind a published container port): clients that come in through it are
/// told external addresses, clients inside are told internal ones, and the SDKs work through either.
/// </summary>
public sealed class ExternalListenerTests
{
    [Fact]
    public async Task Metadata_ThroughEachListener_AdvertisesThatListenersAddress()
    {
        using var data = new TempDirectory();
        var externalPort = LoopbackPorts.Free();
        // The internal address is unusable from here: the SDKs work only if they are given external addresses.
        await using var node = await LocalNode.StartAsync(data.Path, "--advertised-host", "internal.invalid",
            "--external-listen", $"127.0.0.1:{externalPort}", "--external-advertised-host", "localhost");

        using var inside = new NodeClient(node.Address);
        using var outside = new NodeClient(new Uri($"http://127.0.0.1:{externalPort}"));
        await outside.CreateTopicAsync("external");
        var internalView = (await inside.Admin.MetadataAsync(new MetadataRequest())).Nodes.Single();
        var externalView = (await outside.Admin.MetadataAsync(new MetadataRequest())).Nodes.Single();

        Assert.Equal(("internal.invalid", node.Port), (internalView.Host, internalView.Port));
        Assert.Equal(("localhost", externalPort), (externalView.Host, externalView.Port));

        Assert.Equal(("localhost", externalPort), await FindCoordinatorAsync(new Uri($"http://127.0.0.1:{externalPort}"), "outside"));
        Assert.Equal(("internal.invalid", node.Port), await FindCoordinatorAsync(node.Address, "outside"));

        var bootstrap = $"localhost:{externalPort}";
        await using (var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrap, Acks = LogCluster.Producer.Acks.All }).Build())
        {
            await producer.Send(new ProducerRecord<string?, string>("external", null, "through the external listener"));
        }
        await using var consumer = new ConsumerBuilder<string?, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "outside", AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Subscribe(["external"]);
        var record = await consumer.ConsumeAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("through the external listener", record.Value);
    }

    /// <summary>The coordinator's address as the listener at <paramref name="listener"/> gives it (its first call creates __consumer_offsets).</summary>
    private static async Task<(string Host, int Port)> FindCoordinatorAsync(Uri listener, string group)
    {
        using var channel = GrpcChannel.ForAddress(listener);
        var client = new GroupService.GroupServiceClient(channel);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var response = await client.FindCoordinatorAsync(new FindCoordinatorRequest { GroupId = group });
            if (response.ErrorCode == ErrorCode.None)
            {
                return (response.Host, response.Port);
            }
            Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30), $"no coordinator after 30 s: {response.ErrorCode} {response.ErrorMessage}");
            await Task.Delay(100);
        }
    }

}
