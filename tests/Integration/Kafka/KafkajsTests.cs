using System.Diagnostics;
using System.Text.Json;
using LogCluster.Tests.Integration.Cluster;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Kafka;

/// <summary>
/// kafkajs 2.2.4 (npm, locked in tests/Integration/Kafka/kafkajs) against a 3-node cluster's Kafka listeners: an
/// idempotent acks=all producer, then a consumer group of two on the classic group protocol (kafkajs has no other)
/// that reads back everything. A client written from the protocol guide in another language than librdkafka.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class KafkajsTests(ITestOutputHelper output)
{
    private const int Records = 2_000;
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(120);
    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    [KafkajsFact]
    public async Task IdempotentProducerAndAGroupOfTwo_EveryRecordInTheLogOnceAndReadBack()
    {
        const string Topic = "from-kafkajs";
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync(Topic, partitions: 4, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });

        var result = await RunAsync(rig.KafkaBootstrap, Topic, Records);

        var read = result.Read.SelectMany(r => r).ToList();
        // Acknowledged once each; every record at one offset (none written twice); the group read them all, each
        // consumer a part (a record may be read twice around a rebalance: kafkajs commits at least once).
        Assert.Equal(Records, result.Acknowledged);
        Assert.Equal(Enumerable.Range(0, Records).Select(i => $"{i}").Order(), read.Select(r => r.Value).Distinct().Order());
        Assert.Equal(Records, read.Select(r => (r.Partition, r.Offset)).Distinct().Count());
        Assert.All(result.Read, consumer => Assert.NotEmpty(consumer));
        foreach (var partition in read.DistinctBy(r => (r.Partition, r.Offset)).GroupBy(r => r.Partition))
        {
            // Per key, in send order.
            foreach (var key in partition.GroupBy(r => r.Key))
            {
                var values = key.OrderBy(r => r.Offset).Select(r => int.Parse(r.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(values.Order(), values);
            }
        }
        output.WriteLine($"kafkajs: {Records} acknowledged; consumers read {string.Join(" and ", result.Read.Select(r => r.Count))} ({read.Count - Records} read twice across the rebalance)");
    }

    private static async Task<Outcome> RunAsync(string brokers, string topic, int records)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = KafkajsFactAttribute.SourceFolder };
        foreach (var arg in new[] { "roundtrip.js", brokers, topic, $"{records}" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kafkajs did not finish within {_timeout.TotalSeconds} s: {await stderr}");
        }
        Assert.True(process.ExitCode == 0, $"kafkajs exited {process.ExitCode}: {await stderr}");
        return JsonSerializer.Deserialize<Outcome>(await stdout, _json)
            ?? throw new InvalidOperationException("kafkajs printed nothing");
    }

    private sealed record Outcome(int Acknowledged, List<List<ReadRecord>> Read);

    private sealed record ReadRecord(int Partition, long Offset, string Key, string Value);
}
