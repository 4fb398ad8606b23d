using System.Buffers;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.Tests.Unit.Kafka;

/// <summary>
/// The request header and ApiVersions in every version: bytes a real client sent, bytes laid out by hand from the
/// protocol guide, and round trips; a frame that lies about its lengths is refused, not trusted.
/// </summary>
public sealed class ApiVersionsCodecTests
{
    /// <summary>What kcat (librdkafka 2.0.2) sends first, captured from the wire: ApiVersions v3 with header v2, frame length cut off.</summary>
    private static readonly byte[] _librdkafkaApiVersionsV3 = Convert.FromHexString(
        "0012" + "0003" + "00000001" + "0007" + "72646b61666b61" + "00" // header v2: key 18, version 3, correlation 1, client id "rdkafka" (classic string), no tags
        + "0b" + "6c696272646b61666b61" + "06" + "322e302e32" + "00"); // compact "librdkafka", compact "2.0.2", no tags

    [Fact]
    public void ARequestFromLibrdkafka_DecodesAndEncodesToTheSameBytes()
    {
        var reader = new KafkaReader(_librdkafkaApiVersionsV3);
        var header = RequestHeader.Read(ref reader, 2);
        var request = ApiVersionsRequest.Read(ref reader, header.RequestApiVersion);

        Assert.Equal((18, 3, 1, "rdkafka"), (header.RequestApiKey, header.RequestApiVersion, header.CorrelationId, header.ClientId));
        Assert.Equal(("librdkafka", "2.0.2"), (request.ClientSoftwareName, request.ClientSoftwareVersion));
        Assert.Equal(0, reader.Remaining);

        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        header.Write(writer, 2);
        request.Write(writer, 3);
        Assert.Equal(_librdkafkaApiVersionsV3, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void AResponse_IsLaidOutAsTheProtocolGuideSays_InAClassicAndAFlexibleVersion()
    {
        var response = new ApiVersionsResponse { ErrorCode = 0, ThrottleTimeMs = 0, ApiKeys = [new() { ApiKey = 18, MinVersion = 0, MaxVersion = 4 }] };

        Assert.Equal(
            "0000" + "00000001" + "0012" + "0000" + "0004" + "00000000", // error, INT32 count 1, key 18 versions 0-4, throttle
            Convert.ToHexString(KafkaCodec.Encode(w => response.Write(w, 2))));
        Assert.Equal(
            "0000" + "02" + "0012" + "0000" + "0004" + "00" + "00000000" + "00", // error, compact count 1+1, entry and its empty tags, throttle, no tags
            Convert.ToHexString(KafkaCodec.Encode(w => response.Write(w, 3))));
    }

    [Fact]
    public void TaggedFields_AreWrittenOnlyWhenSet_AndReadBack()
    {
        var response = new ApiVersionsResponse
        {
            ApiKeys = [new() { ApiKey = 0, MinVersion = 3, MaxVersion = 10 }],
            FinalizedFeaturesEpoch = 7,
            SupportedFeatures = [new() { Name = "metadata.version", MinVersion = 1, MaxVersion = 20 }],
        };

        var bytes = KafkaCodec.Encode(w => response.Write(w, 4));
        var reader = new KafkaReader(bytes);
        var read = ApiVersionsResponse.Read(ref reader, 4);

        Assert.Equal(7, read.FinalizedFeaturesEpoch);
        Assert.Equal(("metadata.version", (short)1, (short)20), (read.SupportedFeatures.Single().Name, read.SupportedFeatures[0].MinVersion, read.SupportedFeatures[0].MaxVersion));
        Assert.Empty(read.FinalizedFeatures);
        Assert.False(read.ZkMigrationReady);
        var untagged = KafkaCodec.Encode(w => new ApiVersionsResponse { ApiKeys = response.ApiKeys }.Write(w, 4));
        // Tag 0 (tag, size, compact count, one entry: compact name, two int16, its tags) and tag 1 (tag, size, int64);
        // nothing for tags 2 and 3, which hold their defaults.
        Assert.Equal(untagged.Length + (1 + 1 + 1 + (1 + 16 + 2 + 2 + 1)) + (1 + 1 + 8), bytes.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void EveryVersion_RoundTrips(short version)
    {
        var response = new ApiVersionsResponse
        {
            ErrorCode = 35,
            ThrottleTimeMs = version >= 1 ? 12 : 0,
            ApiKeys = [new() { ApiKey = 18, MinVersion = 0, MaxVersion = 4 }, new() { ApiKey = 3, MinVersion = 0, MaxVersion = 12 }],
        };
        var request = new ApiVersionsRequest { ClientSoftwareName = version >= 3 ? "app" : string.Empty, ClientSoftwareVersion = version >= 3 ? "1.0" : string.Empty };

        var responseBytes = KafkaCodec.Encode(w => response.Write(w, version));
        var requestBytes = KafkaCodec.Encode(w => request.Write(w, version));
        var responseReader = new KafkaReader(responseBytes);
        var requestReader = new KafkaReader(requestBytes);
        var readResponse = ApiVersionsResponse.Read(ref responseReader, version);
        var readRequest = ApiVersionsRequest.Read(ref requestReader, version);

        Assert.Equal((response.ErrorCode, response.ThrottleTimeMs), (readResponse.ErrorCode, readResponse.ThrottleTimeMs));
        Assert.Equal(response.ApiKeys.Select(k => (k.ApiKey, k.MinVersion, k.MaxVersion)), readResponse.ApiKeys.Select(k => (k.ApiKey, k.MinVersion, k.MaxVersion)));
        Assert.Equal((request.ClientSoftwareName, request.ClientSoftwareVersion), (readRequest.ClientSoftwareName, readRequest.ClientSoftwareVersion));
        Assert.Equal((0, 0), (responseReader.Remaining, requestReader.Remaining));
    }

    [Fact]
    public void UnknownTags_AreSkipped()
    {
        // A v3 request whose top-level tagged fields carry tag 9 (3 bytes) that this version does not know.
        var bytes = Convert.FromHexString("04" + "617070" + "04" + "312e30" + "01" + "09" + "03" + "aabbcc");
        var reader = new KafkaReader(bytes);

        var request = ApiVersionsRequest.Read(ref reader, 3);

        Assert.Equal(("app", "1.0"), (request.ClientSoftwareName, request.ClientSoftwareVersion));
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData("0000" + "7fffffff", "cannot fit")] // v0 response claiming 2^31-1 entries in 0 bytes
    [InlineData("0000" + "00000001" + "0012", "too early")] // an entry cut short
    [InlineData("0000" + "fffffffe", "cannot fit")] // a negative count other than -1
    public void AFrameThatLies_IsRefusedWithAProtocolError(string hex, string reason)
    {
        var error = Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(Convert.FromHexString(hex));
            ApiVersionsResponse.Read(ref reader, 0);
        });

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void TagsOutOfOrder_AreRefused()
    {
        var bytes = Convert.FromHexString("04" + "617070" + "04" + "312e30" + "02" + "05" + "00" + "01" + "00");
        var error = Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes);
            ApiVersionsRequest.Read(ref reader, 3);
        });

        Assert.Contains("ascend", error.Message);
    }
}
