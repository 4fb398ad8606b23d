using LogCluster.Client.Configuration;
using LogCluster.Producer;
using LogCluster.Protocol.Compression;

namespace LogCluster.Tests.Unit.Producer;

public class ProducerConfigTests
{
    private static readonly ProducerConfig _valid = new() { BootstrapServers = "n1:7070" };

    // Every key set away from its default, written the three ways.
    private static readonly ProducerConfig _typed = new()
    {
        BootstrapServers = "n1:7070,n2:7071",
        ClientId = "orders app",
        Acks = Acks.Leader,
        Linger = TimeSpan.FromMilliseconds(20),
        BatchSize = 65_536,
        BufferMemory = 1L << 26,
        MaxBlock = TimeSpan.FromSeconds(10),
        DeliveryTimeout = TimeSpan.FromSeconds(90),
        RequestTimeout = TimeSpan.FromSeconds(15),
        Retries = 7,
        RetryBackoff = TimeSpan.FromMilliseconds(50),
        RetryBackoffMax = TimeSpan.FromMilliseconds(500),
        MaxInFlightRequestsPerConnection = 1,
        EnableIdempotence = true,
        CompressionType = CompressionType.Zstd,
        MaxRequestSize = 2_097_152,
        MetadataMaxAge = TimeSpan.FromMinutes(1),
        Partitioner = PartitionerKind.UniformSticky,
    };

    private static readonly Dictionary<string, string> _typedProperties = new()
    {
        ["bootstrap.servers"] = "n1:7070,n2:7071",
        ["client.id"] = "orders app",
        ["acks"] = "1",
        ["linger.ms"] = "20",
        ["batch.size"] = "65536",
        ["buffer.memory"] = "67108864",
        ["max.block.ms"] = "10000",
        ["delivery.timeout.ms"] = "90000",
        ["request.timeout.ms"] = "15000",
        ["retries"] = "7",
        ["retry.backoff.ms"] = "50",
        ["retry.backoff.max.ms"] = "500",
        ["max.in.flight.requests.per.connection"] = "1",
        ["enable.idempotence"] = "true",
        ["compression.type"] = "zstd",
        ["max.request.size"] = "2097152",
        ["metadata.max.age.ms"] = "60000",
        ["partitioner"] = "uniform_sticky",
    };

    [Fact]
    public void FromProperties_EveryKey_EqualsTypedConfig()
    {
        Assert.Equal(_typed, ProducerConfig.FromProperties(_typedProperties));
    }

    [Fact]
    public void FromUri_EveryKey_EqualsTypedConfig()
    {
        var query = string.Join("&", _typedProperties
            .Where(p => p.Key != "bootstrap.servers")
            .Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));

        Assert.Equal(_typed, ProducerConfig.FromUri($"logcluster://n1:7070,n2:7071?{query}"));
    }

    [Fact]
    public void ToProperties_EveryKey_GivesKafkaSpellings()
    {
        Assert.Equal(_typedProperties.OrderBy(p => p.Key), _typed.ToProperties().OrderBy(p => p.Key));
    }

    [Fact]
    public void ToProperties_Defaults_ListsEveryKeyWithItsDefault()
    {
        var expected = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "",
            ["client.id"] = "logcluster-producer",
            ["acks"] = "all",
            ["linger.ms"] = "5",
            ["batch.size"] = "16384",
            ["buffer.memory"] = "33554432",
            ["max.block.ms"] = "60000",
            ["delivery.timeout.ms"] = "120000",
            ["request.timeout.ms"] = "30000",
            ["retries"] = "2147483647",
            ["retry.backoff.ms"] = "100",
            ["retry.backoff.max.ms"] = "1000",
            ["max.in.flight.requests.per.connection"] = "5",
            ["compression.type"] = "none",
            ["max.request.size"] = "1048576",
            ["metadata.max.age.ms"] = "300000",
            ["partitioner"] = "murmur2_random",
        };

        Assert.Equal(expected.OrderBy(p => p.Key), new ProducerConfig().ToProperties().OrderBy(p => p.Key));
    }

    [Fact]
    public void ToProperties_ThenFromProperties_GivesEqualConfig()
    {
        Assert.Equal(_typed, ProducerConfig.FromProperties(_typed.ToProperties()));
        Assert.Equal(_valid, ProducerConfig.FromProperties(_valid.ToProperties()));
    }

    [Fact]
    public void FromProperties_NoKeys_GivesDefaults()
    {
        Assert.Equal(new ProducerConfig(), ProducerConfig.FromProperties([]));
    }

    [Theory]
    [InlineData("acks", "0", "0")]
    [InlineData("acks", "1", "1")]
    [InlineData("acks", "all", "all")]
    [InlineData("acks", "-1", "all")]
    [InlineData("linger.ms", "0", "0")]
    [InlineData("linger.ms", " 2147483647 ", "2147483647")]
    [InlineData("batch.size", "0", "0")]
    [InlineData("buffer.memory", "9223372036854775807", "9223372036854775807")]
    [InlineData("max.block.ms", "0", "0")]
    [InlineData("request.timeout.ms", "1", "1")]
    [InlineData("retries", "0", "0")]
    [InlineData("retry.backoff.ms", "1", "1")]
    [InlineData("enable.idempotence", "TRUE", "true")]
    [InlineData("enable.idempotence", "False", "false")]
    [InlineData("compression.type", "gzip", "gzip")]
    [InlineData("compression.type", "snappy", "snappy")]
    [InlineData("compression.type", "lz4", "lz4")]
    [InlineData("max.request.size", "1024", "1024")]
    [InlineData("metadata.max.age.ms", "0", "0")]
    [InlineData("partitioner", "murmur2", "murmur2")]
    [InlineData("partitioner", "murmur2_random", "murmur2_random")]
    [InlineData("bootstrap.servers", " a:1 , [::1]:2 ", "a:1 , [::1]:2")]
    [InlineData("client.id", "", "")]
    public void FromProperties_ValidValue_ToPropertiesGivesCanonicalValue(string key, string value, string canonical)
    {
        var config = ProducerConfig.FromProperties([new(key, value)]);

        Assert.Equal(canonical, config.ToProperties()[key]);
    }

    [Theory]
    [InlineData("bootstrap.servers", "", "at least one host:port")]
    [InlineData("bootstrap.servers", "n1", "has no port")]
    [InlineData("acks", "ALL", "one of all, -1, 1, 0")]
    [InlineData("acks", "2", "one of all, -1, 1, 0")]
    [InlineData("linger.ms", "soon", "[0, 2147483647] milliseconds")]
    [InlineData("linger.ms", "-1", "[0, 2147483647] milliseconds")]
    [InlineData("linger.ms", "2147483648", "[0, 2147483647] milliseconds")]
    [InlineData("batch.size", "-1", "[0, 2147483647]")]
    [InlineData("batch.size", "1e3", "[0, 2147483647]")]
    [InlineData("buffer.memory", "0", "[1, 9223372036854775807]")]
    [InlineData("max.block.ms", "-5", "[0, 2147483647] milliseconds")]
    [InlineData("delivery.timeout.ms", "1.5", "[0, 2147483647] milliseconds")]
    [InlineData("request.timeout.ms", "0", "[1, 2147483647] milliseconds")]
    [InlineData("retries", "-1", "[0, 2147483647]")]
    [InlineData("retry.backoff.ms", "0", "[1, 2147483647] milliseconds")]
    [InlineData("retry.backoff.max.ms", "0", "[1, 2147483647] milliseconds")]
    [InlineData("max.in.flight.requests.per.connection", "0", "[1, 2147483647]")]
    [InlineData("enable.idempotence", "yes", "true or false")]
    [InlineData("compression.type", "brotli", "one of none, gzip, snappy, lz4, zstd")]
    [InlineData("max.request.size", "1023", "[1024, 2147483647]")]
    [InlineData("metadata.max.age.ms", "", "[0, 2147483647] milliseconds")]
    [InlineData("partitioner", "consistent_random", "one of murmur2_random, murmur2, uniform_sticky")]
    public void FromProperties_InvalidValue_ThrowsNamingKeyValueAndAllowed(string key, string value, string allowed)
    {
        var error = Assert.Throws<ArgumentException>(() => ProducerConfig.FromProperties([new(key, value)]));

        Assert.StartsWith(key, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(allowed, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromProperties_UnknownKey_ThrowsListingKnownKeys()
    {
        var error = Assert.Throws<ArgumentException>(
            () => ProducerConfig.FromProperties([new("linger.msec", "5")]));

        Assert.Contains("'linger.msec'", error.Message, StringComparison.Ordinal);
        Assert.Contains("bootstrap.servers, client.id, acks, linger.ms", error.Message, StringComparison.Ordinal);
        Assert.Contains("partitioner", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromProperties_RepeatedKey_Throws()
    {
        var error = Assert.Throws<ArgumentException>(
            () => ProducerConfig.FromProperties([new("acks", "1"), new("acks", "all")]));

        Assert.Contains("'acks' is given twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromUri_BootstrapServersInQuery_Throws()
    {
        var error = Assert.Throws<ArgumentException>(
            () => ProducerConfig.FromUri("logcluster://n1:7070?bootstrap.servers=n2:7070"));

        Assert.Contains("bootstrap.servers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromUri_BadValue_ThrowsNamingKey()
    {
        var error = Assert.Throws<ArgumentException>(() => ProducerConfig.FromUri("logcluster://n1:7070?linger.ms=soon"));

        Assert.Equal("linger.ms must be an integer in [0, 2147483647] milliseconds, got 'soon'", error.Message);
    }

    [Fact]
    public void Validate_ServersAndDefaults_Passes()
    {
        _valid.Validate();
        (_typed with { EnableIdempotence = false }).Validate();
    }

    public static TheoryData<ProducerConfig, string> InvalidConfigs => new()
    {
        { new ProducerConfig(), "bootstrap.servers must list at least one host:port" },
        { _valid with { BootstrapServers = "n1:7070,n2" }, "bootstrap.servers entry 'n2' has no port" },
        { _valid with { BootstrapServers = "n1:0" }, "bootstrap.servers entry 'n1:0' must have a port in [1, 65535]" },
        { _valid with { BootstrapServers = "n1:65536" }, "must have a port in [1, 65535], got '65536'" },
        { _valid with { BootstrapServers = "n1:1,,n2:2" }, "bootstrap.servers has an empty entry" },
        { _valid with { BootstrapServers = "::1:7070" }, "write it in brackets" },
        { _valid with { BootstrapServers = "user@n1:7070" }, "invalid host 'user@n1'" },
        { _valid with { Acks = (Acks)7 }, "acks must be one of all, -1, 1, 0, got '7'" },
        { _valid with { BatchSize = -1 }, "batch.size must be an integer in [0, 2147483647], got '-1'" },
        {
            _valid with { Linger = TimeSpan.FromMilliseconds(-0.5) },
            "linger.ms must be an integer in [0, 2147483647] milliseconds, got '-1'"
        },
        { _valid with { BufferMemory = 0 }, "buffer.memory must be an integer in [1, " },
        { _valid with { MaxBlock = TimeSpan.FromDays(30) }, "max.block.ms must be an integer in [0, 2147483647]" },
        { _valid with { RequestTimeout = TimeSpan.Zero }, "request.timeout.ms must be an integer in [1, " },
        { _valid with { Retries = -1 }, "retries must be an integer in [0, " },
        { _valid with { RetryBackoff = TimeSpan.Zero }, "retry.backoff.ms must be an integer in [1, " },
        { _valid with { RetryBackoff = TimeSpan.FromSeconds(2) }, "retry.backoff.max.ms (1000) must be at least" },
        { _valid with { MaxInFlightRequestsPerConnection = 0 }, "max.in.flight.requests.per.connection must be an integer in [1, " },
        { _valid with { CompressionType = (CompressionType)9 }, "compression.type must be one of none, gzip, " },
        { _valid with { MaxRequestSize = 1000 }, "max.request.size must be an integer in [1024, " },
        { _valid with { MetadataMaxAge = TimeSpan.FromMilliseconds(-1) }, "metadata.max.age.ms must be an integer in [0, " },
        { _valid with { Partitioner = (PartitionerKind)3 }, "partitioner must be one of murmur2_random, " },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigs))]
    public void Validate_InvalidSetting_ThrowsNamingKey(ProducerConfig config, string message)
    {
        var error = Assert.Throws<ArgumentException>(config.Validate);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DeliveryTimeoutBelowLingerPlusRequestTimeout_ThrowsExplainingKafkasRule()
    {
        var config = _valid with
        {
            Linger = TimeSpan.FromMilliseconds(100),
            RequestTimeout = TimeSpan.FromSeconds(30),
            DeliveryTimeout = TimeSpan.FromMilliseconds(30_099),
        };

        var error = Assert.Throws<ArgumentException>(config.Validate);

        Assert.Contains(
            "delivery.timeout.ms (30099) must be at least linger.ms + request.timeout.ms (100 + 30000)",
            error.Message,
            StringComparison.Ordinal);
        (config with { DeliveryTimeout = TimeSpan.FromMilliseconds(30_100) }).Validate();
    }

    [Theory]
    [InlineData(Acks.Leader, 5, 3, "enable.idempotence=true needs acks=all, got acks=1")]
    [InlineData(Acks.None, 5, 3, "enable.idempotence=true needs acks=all, got acks=0")]
    [InlineData(Acks.All, 6, 3, "enable.idempotence=true needs max.in.flight.requests.per.connection <= 5, got 6")]
    [InlineData(Acks.All, 5, 0, "enable.idempotence=true needs retries > 0, got retries=0")]
    public void Validate_ExplicitIdempotenceWithConflictingSetting_ThrowsNamingBoth(Acks acks, int maxInFlight, int retries, string message)
    {
        var config = _valid with { EnableIdempotence = true, Acks = acks, MaxInFlightRequestsPerConnection = maxInFlight, Retries = retries };

        var error = Assert.Throws<ArgumentException>(config.Validate);

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("set enable.idempotence=false", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Acks.Leader, 5, 3)]
    [InlineData(Acks.All, 6, 3)]
    [InlineData(Acks.All, 5, 0)]
    public void IsIdempotent_UnsetWithConflictingSetting_IsOffAndValid(Acks acks, int maxInFlight, int retries)
    {
        var config = _valid with { Acks = acks, MaxInFlightRequestsPerConnection = maxInFlight, Retries = retries };

        config.Validate();

        Assert.False(config.IsIdempotent);
    }

    [Fact]
    public void IsIdempotent_Defaults_IsOn()
    {
        Assert.True(_valid.IsIdempotent);
        Assert.True((_valid with { EnableIdempotence = true, MaxInFlightRequestsPerConnection = 1 }).IsIdempotent);
        Assert.False((_valid with { EnableIdempotence = false }).IsIdempotent);
    }

    [Fact]
    public void BootstrapEndpoints_HostList_GivesHostsAndPorts()
    {
        var config = _valid with { BootstrapServers = "n1.example:7070, 10.0.0.2:7071,[::1]:7072" };

        Assert.Equal(
            [new HostPort("n1.example", 7070), new HostPort("10.0.0.2", 7071), new HostPort("::1", 7072)],
            config.BootstrapEndpoints());
    }
}
