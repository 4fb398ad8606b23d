using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration.Transport;

/// <summary>The SDK's own HTTP/2 gRPC channel against a real node: unary and streaming calls, errors, and cancellation.</summary>
public sealed class NodeChannelTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task UnaryCall_Metadata_AnswersWithTheNode()
    {
        using var channel = new NodeChannel(fixture.Node.Host, fixture.Node.Port, TimeSpan.FromSeconds(5));
        var admin = new AdminService.AdminServiceClient(channel);
        var response = await admin.MetadataAsync(new MetadataRequest()).ResponseAsync.WaitAsync(_timeout);
        Assert.NotEmpty(response.Nodes);
    }
}
