using System.Net;
using System.Net.Sockets;
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
        var externalPort = FreeLoopbackPort();
        await using var node = await LocalNode.StartAsync(data.Path,
            "--external-listen", $"127.0.0.1:{externalPort}", "--external-advertised-host", "localhost");

        using var inside = new NodeClient(node.Address);
        using var outside = new NodeClient(new Uri($"http://127.0.0.1:{externalPort}"));
        await outside.CreateTopicAsync("external");
        var internalView = (await inside.Admin.MetadataAsync(new MetadataRequest())).Nodes.Single();
        var externalView = (await outside.Admin.MetadataAsync(new MetadataRequest())).Nodes.Single();

        Assert.Equal(("127.0.0.1", node.Port), (internalView.Host, internalView.Port));
        Assert.Equal(("localhost", externalPort), (externalView.Host, externalView.Port));

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

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
