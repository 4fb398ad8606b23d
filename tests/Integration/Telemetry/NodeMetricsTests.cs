using Grpc.Health.V1;
using Grpc.Net.Client;
using LogCluster.Cli.LocalCluster;
using LogCluster.Consumer;
using LogCluster.Producer;

namespace LogCluster.Tests.Integration.Telemetry;

/// <summary>A real node's /metrics, as Prometheus scrapes it, and its gRPC health service.</summary>
public sealed class NodeMetricsTests
{
    private const string Topic = "metered";
    private const int Records = 1_000;
    private static readonly TimeSpan _timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Metrics_KafkaRequestsAndClosedConnections_AreCountedByApiKeyVersionAndReason()
    {
        using var data = new TempDirectory();
        var metricsPort = LoopbackPorts.Free();
        var kafkaPort = LoopbackPorts.Free();
        await using var node = await LocalNode.StartAsync(data.Path, "--metrics-listen", $"127.0.0.1:{metricsPort}", "--kafka-listen", $"127.0.0.1:{kafkaPort}");
        var metrics = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
        using var http = new HttpClient();

        using (var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = $"127.0.0.1:{kafkaPort}" }).Build())
        {
            admin.GetMetadata(_timeout);
        }
        using (var bad = await Kafka.KafkaWireClient.ConnectAsync(kafkaPort))
        {
            // An API this node does not serve (key 999): the connection is closed, and counted.
            await bad.SendAsync(Convert.FromHexString("03e70000" + "00000001" + "0000"));
            Assert.Null(await bad.ReceiveAsync());
        }
        var after = await PrometheusScrape.TakeAsync(http, metrics);

        Assert.True(after.Sum("logcluster_node_kafka_requests_total", "api_key=\"18\"") >= 1, "ApiVersions is counted");
        Assert.True(after.Sum("logcluster_node_kafka_requests_total", "api_key=\"3\"", "api_version=\"12\"") >= 1, "Metadata v12 is counted by its version");
        Assert.Equal(1, after.Sum("logcluster_node_kafka_connections_closed_total", "api_key=\"999\"", "reason=\"unknown_api\""));
    }

    [Fact]
    public async Task Metrics_ProduceAndConsume_MoveTheKeySeriesByWhatWasSentAndRead()
    {
        using var data = new TempDirectory();
        var metricsPort = LoopbackPorts.Free();
        await using var node = await LocalNode.StartAsync(data.Path, "--metrics-listen", $"127.0.0.1:{metricsPort}");
        var metrics = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
        using var http = new HttpClient();
        using (var client = new NodeClient(node.Address))
        {
            await client.CreateTopicAsync(Topic, partitions: 2);
        }
        var before = await PrometheusScrape.TakeAsync(http, metrics);

        var bootstrap = $"127.0.0.1:{node.Port}";
        await using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All }).Build())
        {
            await Task.WhenAll(Enumerable.Range(0, Records).Select(i => producer.Send(new ProducerRecord<string, string>(Topic, $"k{i}", $"value-{i}"))));
        }
        await using (var consumer = new ConsumerBuilder<string?, string>(new ConsumerConfig { BootstrapServers = bootstrap }).Build())
        {
            consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.Beginning), new TopicPartitionOffset(Topic, 1, Offsets.Beginning)]);
            for (var read = 0; read < Records; read++)
            {
                await consumer.ConsumeAsync().WaitAsync(_timeout);
            }
        }
        var after = await PrometheusScrape.TakeAsync(http, metrics);

        var topic = $"topic=\"{Topic}\"";
        Assert.Equal(Records, after.Sum("logcluster_node_records_in_total", topic) - before.Sum("logcluster_node_records_in_total", topic));
        Assert.True(after.Sum("logcluster_node_bytes_in_bytes_total", topic) > Records * "value-0".Length, "bytes in counts at least the values");
        Assert.True(after.Sum("logcluster_node_records_out_total", topic, "fetcher=\"consumer\"") >= Records, "records out counts what the consumer read");
        Assert.True(after.Sum("logcluster_node_produce_duration_seconds_count", "acks=\"all\"") > before.Sum("logcluster_node_produce_duration_seconds_count", "acks=\"all\""));
        Assert.True(after.Sum("logcluster_node_fetch_duration_seconds_count") > before.Sum("logcluster_node_fetch_duration_seconds_count"));
        Assert.True(after.Sum("logcluster_node_log_size_bytes", topic) >= after.Sum("logcluster_node_bytes_in_bytes_total", topic), "the segments hold every appended byte");
        Assert.Equal(2, after.Sum("logcluster_node_log_segments", topic));
        Assert.Equal(2, after.Sum("logcluster_node_partitions_led"));
        Assert.True(after.Sum("logcluster_node_producers_active", topic) >= 1, "the idempotent producer's state is kept");
        Assert.Equal((1, 1), (after.Sum("logcluster_node_controller_active"), after.Sum("logcluster_node_controller_elections_total")));
        Assert.True(after.Has("logcluster_node_partitions_offline") && after.Has("logcluster_node_partitions_under_replicated"), "the partition health gauges are exported");
        Assert.Equal((0, 0), (after.Sum("logcluster_node_partitions_offline"), after.Sum("logcluster_node_partitions_under_replicated")));
    }

    [Fact]
    public async Task Health_RegisteredNode_IsServing()
    {
        using var data = new TempDirectory();
        await using var node = await LocalNode.StartAsync(data.Path);
        using var channel = GrpcChannel.ForAddress(node.Address);

        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(_timeout);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

}
