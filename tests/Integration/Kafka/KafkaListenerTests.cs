using System.Buffers.Binary;
using LogCluster.Cli.LocalCluster;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.Tests.Integration.Kafka;

/// <summary>
/// The Kafka listener of a real node process: ApiVersions as librdkafka sends it, the version 0 fallback, answers in
/// request order when requests are pipelined, and frames that are too large, malformed or cut off costing only their
/// own connection.
/// </summary>
public sealed class KafkaListenerTests : IAsyncLifetime
{
    /// <summary>kcat's (librdkafka 2.0.2) first request as captured from the wire, without its size prefix.</summary>
    private static readonly byte[] _librdkafkaApiVersionsV3 = Convert.FromHexString(
        "0012000300000001" + "0007" + "72646b61666b61" + "00" + "0b" + "6c696272646b61666b61" + "06" + "322e302e32" + "00");

    private readonly TempDirectory _data = new();
    private readonly int _kafkaPort = LoopbackPorts.Free();
    private LocalNode? _node;

    public async Task InitializeAsync() =>
        _node = await LocalNode.StartAsync(_data.Path, "--kafka-listen", $"127.0.0.1:{_kafkaPort}");

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
        _data.Dispose();
    }

    [Fact]
    public async Task ApiVersionsFromLibrdkafka_IsAnsweredWithHeaderV0AndTheServedApis()
    {
        using var client = await KafkaWireClient.ConnectAsync(_kafkaPort);
        await client.SendAsync(_librdkafkaApiVersionsV3);

        var response = Decode(await client.ReceiveAsync(), 3, out var correlationId);

        Assert.Equal(1, correlationId);
        Assert.Equal(0, response.ErrorCode);
        var apiVersions = response.ApiKeys.Single(k => k.ApiKey == ApiVersionsRequest.ApiKey);
        Assert.Equal((0, 4), (apiVersions.MinVersion, apiVersions.MaxVersion));
    }

    [Fact]
    public async Task AnApiVersionsVersionNotServed_GetsUnsupportedVersionInVersion0_AndTheConnectionStays()
    {
        using var client = await KafkaWireClient.ConnectAsync(_kafkaPort);
        await client.SendAsync(Request(ApiVersionsRequest.ApiKey, version: 9, correlationId: 5));

        var response = Decode(await client.ReceiveAsync(), 0, out var correlationId);
        Assert.Equal((5, (short)35), (correlationId, response.ErrorCode));
        Assert.Contains(response.ApiKeys, k => k.ApiKey == ApiVersionsRequest.ApiKey && k.MaxVersion == 4);

        await client.SendAsync(_librdkafkaApiVersionsV3);
        Assert.Equal(0, Decode(await client.ReceiveAsync(), 3, out _).ErrorCode);
    }

    [Fact]
    public async Task PipelinedRequests_AreAnsweredInTheOrderTheyArrived()
    {
        using var client = await KafkaWireClient.ConnectAsync(_kafkaPort);
        var requests = Enumerable.Range(100, 40).SelectMany(id => KafkaWireClient.Frame(Request(ApiVersionsRequest.ApiKey, 2, id))).ToArray();
        await client.SendRawAsync(requests);

        for (var id = 100; id < 140; id++)
        {
            Decode(await client.ReceiveAsync(), 2, out var correlationId);
            Assert.Equal(id, correlationId);
        }
    }

    [Theory]
    [InlineData("ffffffff")] // a negative size
    [InlineData("7fffffff")] // more than socket.request.max.bytes
    [InlineData("00000008" + "0012000000000001")] // ApiVersions v0 without the client id header v1 requires
    [InlineData("0000000a" + "00030009000000010000")] // Metadata v9: an API this node does not serve
    public async Task AFrameThatCannotBeServed_ClosesOnlyItsConnection(string hex)
    {
        using (var bad = await KafkaWireClient.ConnectAsync(_kafkaPort))
        {
            await bad.SendRawAsync(Convert.FromHexString(hex));
            Assert.Null(await bad.ReceiveAsync());
        }

        using var good = await KafkaWireClient.ConnectAsync(_kafkaPort);
        await good.SendAsync(_librdkafkaApiVersionsV3);
        Assert.Equal(0, Decode(await good.ReceiveAsync(), 3, out _).ErrorCode);
    }

    [Fact]
    public async Task AnAcksZeroProduceThatFails_ClosesTheConnectionAfterAnsweringWhatCameBefore()
    {
        // Nobody reads an acks=0 answer, so an error there closes the connection, as Kafka's broker does: the client
        // notices and refreshes its metadata instead of sending on to a node that cannot take its records.
        var produce = new ProduceRequest { Acks = 0, TimeoutMs = 1000, TopicData = [new() { Name = "no-such-topic", PartitionData = [new() { Index = 0, Records = new byte[] { 1 } }] }] };
        using var client = await KafkaWireClient.ConnectAsync(_kafkaPort);
        await client.SendAsync(_librdkafkaApiVersionsV3);
        await client.SendAsync(Request(ProduceRequest.ApiKey, 3, 2, produce));
        await client.SendAsync(_librdkafkaApiVersionsV3);

        Assert.Equal(0, Decode(await client.ReceiveAsync(), 3, out _).ErrorCode);
        Assert.Null(await client.ReceiveAsync());
    }

    [Fact]
    public async Task AFrameLargerThanTheTransportsReadBuffer_IsServed()
    {
        // ApiVersions v3 whose client software name is 3 MiB: more than Kestrel's 1 MiB read buffer holds at once.
        var name = new string('a', 3 << 20);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        new RequestHeader { RequestApiKey = ApiVersionsRequest.ApiKey, RequestApiVersion = 3, CorrelationId = 77, ClientId = "big" }.Write(writer, 2);
        new ApiVersionsRequest { ClientSoftwareName = name, ClientSoftwareVersion = "1" }.Write(writer, 3);
        using var client = await KafkaWireClient.ConnectAsync(_kafkaPort);

        await client.SendAsync(output.WrittenSpan.ToArray());

        Assert.Equal(0, Decode(await client.ReceiveAsync(), 3, out var correlationId).ErrorCode);
        Assert.Equal(77, correlationId);
    }

    [Fact]
    public async Task AClientThatLeavesMidFrame_CostsNothing()
    {
        using (var leaving = await KafkaWireClient.ConnectAsync(_kafkaPort))
        {
            await leaving.SendRawAsync([.. KafkaWireClient.Frame(_librdkafkaApiVersionsV3).Take(12)]);
        }

        using var client = await KafkaWireClient.ConnectAsync(_kafkaPort);
        await client.SendAsync(_librdkafkaApiVersionsV3);
        Assert.Equal(0, Decode(await client.ReceiveAsync(), 3, out _).ErrorCode);
    }

    [Fact]
    public async Task AnIdleConnection_IsClosedAfterTheIdleTimeout()
    {
        using var data = new TempDirectory();
        var port = LoopbackPorts.Free();
        await using var node = await LocalNode.StartAsync(data.Path, "--kafka-listen", $"127.0.0.1:{port}", "--kafka-idle-timeout-ms", "200");
        using var client = await KafkaWireClient.ConnectAsync(port);
        await client.SendAsync(_librdkafkaApiVersionsV3);
        Assert.NotNull(await client.ReceiveAsync());

        // Silent from here: the node closes the connection (ReceiveAsync's own timeout is 30 s).
        Assert.Null(await client.ReceiveAsync());
    }

    /// <summary>A request with header v1 (client id "test") and an empty body, as ApiVersions v0-2 has.</summary>
    private static byte[] Request(short apiKey, short version, int correlationId)
    {
        var bytes = new byte[14];
        BinaryPrimitives.WriteInt16BigEndian(bytes, apiKey);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(2), version);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(8), 4);
        "test"u8.CopyTo(bytes.AsSpan(10));
        return bytes;
    }

    /// <summary>A classic (non-flexible) request: header v1 (client id "test"), then <paramref name="body"/> in <paramref name="version"/>.</summary>
    private static byte[] Request(short apiKey, short version, int correlationId, ProduceRequest body)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        new RequestHeader { RequestApiKey = apiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = "test" }.Write(writer, 1);
        body.Write(writer, version);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>An ApiVersions response: response header v0 (always, for ApiVersions), then the body in <paramref name="version"/>.</summary>
    private static ApiVersionsResponse Decode(byte[]? frame, short version, out int correlationId)
    {
        Assert.NotNull(frame);
        var reader = new KafkaReader(frame);
        correlationId = ResponseHeader.Read(ref reader, 0).CorrelationId;
        var response = ApiVersionsResponse.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        return response;
    }
}
