using System.Diagnostics;
using System.Text.Json;
using LogCluster.Consumer;
using LogCluster.Producer;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration.Deploy;

/// <summary>
/// deploy/compose.yaml for real: built, started, used from this machine through the published loopback ports,
/// scraped by its Prometheus, and still taking acks=all writes with the controller's container stopped.
/// The base images come from the environment (.ci/run builds them locally: no registry is reachable there).
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class ComposeDeploymentTests
{
    private const string Topic = "orders";
    private const int Partitions = 3;
    private static readonly TimeSpan _buildTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan _readyTimeout = TimeSpan.FromMinutes(2);

    [DockerFact]
    public async Task Compose_ThreeNodes_ServeClientsOnLoopbackAndKeepTakingAcksAllWithTheControllerStopped()
    {
        var ports = Enumerable.Range(0, 7).Select(_ => LoopbackPorts.Free()).ToArray();
        var project = new ComposeProject($"logcluster-test-{Environment.ProcessId}", new()
        {
            ["LOGNODE1_PORT"] = $"{ports[0]}",
            ["LOGNODE2_PORT"] = $"{ports[1]}",
            ["LOGNODE3_PORT"] = $"{ports[2]}",
            ["PROMETHEUS_PORT"] = $"{ports[3]}",
            ["LOGNODE1_KAFKA_PORT"] = $"{ports[4]}",
            ["LOGNODE2_KAFKA_PORT"] = $"{ports[5]}",
            ["LOGNODE3_KAFKA_PORT"] = $"{ports[6]}",
        });
        await project.RunAsync(TimeSpan.FromMinutes(1), "config", "-q");
        await project.RunAsync(_buildTimeout, "build");
        try
        {
            await project.RunAsync(_readyTimeout, "up", "-d");
            await WaitForHealthyAsync(project, "lognode1", "lognode2", "lognode3");
            var bootstrap = string.Join(',', ports[..3].Select(p => $"127.0.0.1:{p}"));
            await CreateTopicAsync(ports[0]);

            var first = await ProduceAsync(bootstrap, "before", 1_000);
            await AssertPrometheusScrapesEveryNodeAsync(ports[3], first);
            await AssertKafkaClientsProduceAndConsumeAsync(string.Join(',', ports[4..].Select(p => $"127.0.0.1:{p}")));
            // The controller, the hardest node to lose: the others elect a new one while every node's heartbeats
            // still go to the stopped one, whose name Docker's DNS now takes 20 s to give up on.
            var controller = await ControllerAsync(ports[0]);
            await project.RunAsync(TimeSpan.FromMinutes(1), "stop", $"lognode{controller}");
            try
            {
                var second = await ProduceAsync(bootstrap, "after-stop", 1_000);
                var read = await ReadAllAsync(bootstrap, first + second);
                Assert.Equal(first + second, read.Count);
                Assert.Equal(2_000, read.Distinct().Count());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException($"after stopping lognode{controller}: {e.Message}\n{await project.RunAsync(TimeSpan.FromMinutes(1), "logs", "--no-color", "--tail", "150")}", e);
            }
        }
        finally
        {
            await project.RunAsync(TimeSpan.FromMinutes(2), "down", "-v");
        }
    }

    /// <summary>
    /// Kafka clients on this machine reach every node through its published Kafka listener, which Metadata
    /// advertises there: Confluent.Kafka creates a topic, produces idempotently with acks=all, and reads it back.
    /// </summary>
    private static async Task AssertKafkaClientsProduceAndConsumeAsync(string kafkaBootstrap)
    {
        const string KafkaTopic = "through-kafka";
        const int Records = 500;
        using (var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = kafkaBootstrap }).Build())
        {
            await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = KafkaTopic, NumPartitions = 3, ReplicationFactor = 3 }]).WaitAsync(_readyTimeout);
        }
        using (var producer = new Confluent.Kafka.ProducerBuilder<Confluent.Kafka.Null, string>(new Confluent.Kafka.ProducerConfig { BootstrapServers = kafkaBootstrap, EnableIdempotence = true }).Build())
        {
            await Task.WhenAll(Enumerable.Range(0, Records).Select(i => producer.ProduceAsync(KafkaTopic, new Confluent.Kafka.Message<Confluent.Kafka.Null, string> { Value = $"{i}" }))).WaitAsync(_readyTimeout);
        }
        using var consumer = new Confluent.Kafka.ConsumerBuilder<Confluent.Kafka.Ignore, string>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = kafkaBootstrap, GroupId = "compose-check" }).Build();
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new Confluent.Kafka.TopicPartitionOffset(KafkaTopic, p, Confluent.Kafka.Offset.Beginning)));
        var read = new HashSet<string>();
        var deadline = DateTime.UtcNow + _readyTimeout;
        while (read.Count < Records && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { IsPartitionEOF: false } result)
            {
                read.Add(result.Message.Value);
            }
        }
        Assert.Equal(Records, read.Count);
    }

    private static async Task WaitForHealthyAsync(ComposeProject project, params string[] services)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var service in services)
        {
            string health;
            while ((health = await project.HealthAsync(service)) != "healthy")
            {
                Assert.True(Stopwatch.GetElapsedTime(started) < _readyTimeout, $"{service} is {health} after {_readyTimeout}:\n{await project.RunAsync(TimeSpan.FromMinutes(1), "logs", "--tail", "40", service)}");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    private static async Task CreateTopicAsync(int port)
    {
        using var client = new NodeClient(new Uri($"http://127.0.0.1:{port}"));
        var spec = new TopicSpec { Name = Topic, Partitions = Partitions, ReplicationFactor = 3, Configs = { ["min.insync.replicas"] = "2" } };
        var response = await client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } });
        Assert.Equal(ErrorCode.None, response.Results.Single().ErrorCode);
    }

    private static async Task<int> ControllerAsync(int port)
    {
        using var client = new NodeClient(new Uri($"http://127.0.0.1:{port}"));
        var metadata = await client.Admin.MetadataAsync(new MetadataRequest(), deadline: DateTime.UtcNow + NodeClient.CallTimeout);
        Assert.InRange(metadata.ControllerId, 1, 3);
        return metadata.ControllerId;
    }

    /// <summary>acks=all sends, all awaited: the count of acknowledged records (every one, or the test fails).</summary>
    private static async Task<int> ProduceAsync(string bootstrap, string prefix, int count)
    {
        var config = new ProducerConfig { BootstrapServers = bootstrap, Acks = LogCluster.Producer.Acks.All, DeliveryTimeout = TimeSpan.FromMinutes(1) };
        await using var producer = new ProducerBuilder<string, string>(config).Build();
        var sends = Enumerable.Range(0, count).Select(i => producer.Send(new ProducerRecord<string, string>(Topic, $"{prefix}-{i}", $"{prefix}-{i}"))).ToList();
        await Task.WhenAll(sends);
        return sends.Count(s => s.IsCompletedSuccessfully);
    }

    private static async Task<List<string>> ReadAllAsync(string bootstrap, int expected)
    {
        var config = new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "compose-test", AutoOffsetReset = AutoOffsetReset.Earliest };
        await using var consumer = new ConsumerBuilder<string?, string>(config).Build();
        consumer.Subscribe([Topic]);
        var values = new List<string>();
        using var timeout = new CancellationTokenSource(_readyTimeout);
        await foreach (var record in consumer.ReadAllAsync(timeout.Token))
        {
            values.Add(record.Value);
            if (values.Count == expected)
            {
                break;
            }
        }
        return values;
    }

    /// <summary>Prometheus (scrape interval 5 s) scrapes all three nodes and has seen the records arrive.</summary>
    private static async Task AssertPrometheusScrapesEveryNodeAsync(int port, int records)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var recordsIn = await QueryAsync(http, $"sum(logcluster_node_records_in_total{{topic=\"{Topic}\"}})");
            var instances = await QueryAsync(http, "count(up{job=\"lognode\"} == 1)");
            if (recordsIn >= records && instances == 3)
            {
                return;
            }
            Assert.True(Stopwatch.GetElapsedTime(started) < _readyTimeout, $"Prometheus saw {recordsIn} of {records} records in, {instances} of 3 nodes up");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    private static async Task<double> QueryAsync(HttpClient http, string query)
    {
        try
        {
            using var response = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}"));
            var result = response.RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0 ? 0 : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return 0; // Prometheus still starting.
        }
    }

}
