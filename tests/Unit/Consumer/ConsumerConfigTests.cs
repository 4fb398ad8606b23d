using LogCluster.Consumer;

namespace LogCluster.Tests.Unit.Consumer;

public class ConsumerConfigTests
{
    // Every key set away from its default, written as typed properties and as Kafka's keys.
    private static readonly ConsumerConfig _typed = new()
    {
        BootstrapServers = "n1:7070,n2:7071",
        ClientId = "billing",
        GroupId = "invoices",
        EnableAutoCommit = false,
        AutoCommitInterval = TimeSpan.FromSeconds(1),
        SessionTimeout = TimeSpan.FromSeconds(10),
        HeartbeatInterval = TimeSpan.FromMilliseconds(500),
        GroupRemoteAssignor = PartitionAssignor.Range,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        FetchMinBytes = 1024,
        FetchMaxWait = TimeSpan.FromMilliseconds(100),
        FetchMaxBytes = 4_194_304,
        MaxPartitionFetchBytes = 262_144,
        MaxPollRecords = 100,
        RequestTimeout = TimeSpan.FromSeconds(10),
        RetryBackoff = TimeSpan.FromMilliseconds(50),
        MetadataMaxAge = TimeSpan.FromMinutes(1),
    };

    private static readonly Dictionary<string, string> _properties = new()
    {
        ["bootstrap.servers"] = "n1:7070,n2:7071",
        ["client.id"] = "billing",
        ["group.id"] = "invoices",
        ["enable.auto.commit"] = "false",
        ["auto.commit.interval.ms"] = "1000",
        ["session.timeout.ms"] = "10000",
        ["heartbeat.interval.ms"] = "500",
        ["group.remote.assignor"] = "range",
        ["auto.offset.reset"] = "earliest",
        ["fetch.min.bytes"] = "1024",
        ["fetch.max.wait.ms"] = "100",
        ["fetch.max.bytes"] = "4194304",
        ["max.partition.fetch.bytes"] = "262144",
        ["max.poll.records"] = "100",
        ["request.timeout.ms"] = "10000",
        ["retry.backoff.ms"] = "50",
        ["metadata.max.age.ms"] = "60000",
    };

    [Fact]
    public void FromProperties_EveryKey_EqualsTheTypedConfigAndFormatsBack()
    {
        var parsed = ConsumerConfig.FromProperties(_properties);

        Assert.Equal(_typed, parsed);
        Assert.Equal(_properties, parsed.ToProperties());
    }

    [Fact]
    public void FromUri_HostsAndQuery_AreBootstrapServersAndKeys()
    {
        var parsed = ConsumerConfig.FromUri("logcluster://n1:7070,n2:7071?auto.offset.reset=earliest&fetch.max.wait.ms=100");

        Assert.Equal(new ConsumerConfig { BootstrapServers = "n1:7070,n2:7071", AutoOffsetReset = AutoOffsetReset.Earliest, FetchMaxWait = TimeSpan.FromMilliseconds(100) }, parsed);
    }

    [Theory]
    [InlineData("auto.offset.reset", "smallest", "auto.offset.reset")]
    [InlineData("fetch.max.wait.ms", "-1", "fetch.max.wait.ms")]
    [InlineData("group.instance", "x", "unknown consumer config 'group.instance'")]
    public void FromProperties_BadKeyOrValue_NamesTheKey(string key, string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => ConsumerConfig.FromProperties([new(key, value)]));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HeartbeatNotBelowSessionTimeout_NamesBothKeys()
    {
        var error = Assert.Throws<ArgumentException>(() => (_typed with { HeartbeatInterval = TimeSpan.FromSeconds(10) }).Validate());

        Assert.Contains("heartbeat.interval.ms", error.Message, StringComparison.Ordinal);
        Assert.Contains("session.timeout.ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TypedValueOutOfRange_NamesTheKey()
    {
        var error = Assert.Throws<ArgumentException>(() => (_typed with { MaxPartitionFetchBytes = 10 }).Validate());

        Assert.Contains("max.partition.fetch.bytes", error.Message, StringComparison.Ordinal);
    }
}
