using System.Net;
using LogCluster.LogNode.Metadata.Quorum;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration.Quorum;

public sealed class QuorumVotersTests
{
    [Fact]
    public void Parse_ThreeVoters_ReturnsThemInOrder()
    {
        var voters = QuorumVoters.Parse("1@127.0.0.1:9091, 2@127.0.0.1:9092 ,3@[::1]:9093");

        Assert.Equal(
            [new QuorumVoter(1, IPEndPoint.Parse("127.0.0.1:9091")), new QuorumVoter(2, IPEndPoint.Parse("127.0.0.1:9092")), new QuorumVoter(3, IPEndPoint.Parse("[::1]:9093"))],
            voters);
    }

    [Theory]
    [InlineData("127.0.0.1:9091")]
    [InlineData("@127.0.0.1:9091")]
    [InlineData("1@")]
    [InlineData("x@127.0.0.1:9091")]
    [InlineData("-1@127.0.0.1:9091")]
    [InlineData("1@127.0.0.1")]
    [InlineData("1@127.0.0.1:")]
    [InlineData("1@127.0.0.1:0")]
    [InlineData("1@127.0.0.1:70000")]
    [InlineData("1@localhost:9091")]
    [InlineData("1@[::1]")]
    [InlineData("1@127.0.0.1:9091,")]
    public void Parse_MalformedEntry_ThrowsFormatExceptionNamingIt(string voters)
    {
        var error = Assert.Throws<FormatException>(() => QuorumVoters.Parse(voters));

        Assert.Contains("Voter \"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1@127.0.0.1:9091,1@127.0.0.1:9092", "Node id 1 appears twice")]
    [InlineData("1@127.0.0.1:9091,2@127.0.0.1:9091", "Endpoint 127.0.0.1:9091 appears twice")]
    [InlineData("  ", "empty")]
    public void Parse_DuplicateOrEmpty_ThrowsArgumentException(string voters, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => QuorumVoters.Parse(voters));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindNodeId_EndPointOfAVoter_ReturnsItsIdOtherwiseNull()
    {
        var voters = QuorumVoters.Parse("1@127.0.0.1:9091,2@127.0.0.1:9092");

        Assert.Equal(2, QuorumVoters.FindNodeId(voters, new IPEndPoint(IPAddress.Loopback, 9092)));
        Assert.Equal(1, QuorumVoters.FindNodeId(voters, new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 9091)));
        Assert.Null(QuorumVoters.FindNodeId(voters, new IPEndPoint(IPAddress.Loopback, 9093)));
        Assert.Null(QuorumVoters.FindNodeId(voters, null));
    }

    [Fact]
    public void Constructor_NodeNotAVoter_ThrowsArgumentException()
    {
        var voters = QuorumVoters.Parse("1@127.0.0.1:9091");

        var error = Assert.Throws<ArgumentException>(() =>
            new RaftMetadataQuorum(2, voters, Path.GetTempPath(), RaftTimeouts.Default, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));

        Assert.Contains("Node 2 is not in the voter list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RaftTimeouts_OutOfOrder_Throw()
    {
        static TimeSpan ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

        Assert.Throws<ArgumentOutOfRangeException>(() => new RaftTimeouts(ms(300), ms(600), requestTimeout: ms(300), connectTimeout: ms(100)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RaftTimeouts(ms(300), ms(600), requestTimeout: ms(250), connectTimeout: ms(250)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RaftTimeouts(ms(300), ms(300), requestTimeout: ms(250), connectTimeout: ms(100)));
    }

    [Fact]
    public void RaftTimeouts_FromElectionTimeout_KeepsTheLibrarysOrder()
    {
        var timeouts = RaftTimeouts.FromElectionTimeout(TimeSpan.FromMilliseconds(300));

        Assert.Equal(RaftTimeouts.Default, timeouts);
        Assert.Equal(TimeSpan.FromMilliseconds(600), timeouts.UpperElectionTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), timeouts.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), timeouts.ConnectTimeout);
    }

    [Fact]
    public void SnapshotFile_RoundTripsAndRejectsAFlippedByte()
    {
        var snapshot = new ClusterSnapshot { NextProducerId = 42 };
        snapshot.Nodes.Add(new NodeRegistration { NodeId = 1, Host = "127.0.0.1", Port = 7001 });
        var bytes = MetadataStateMachine.Encode(snapshot);

        Assert.Equal(snapshot, MetadataStateMachine.Decode(bytes, "test"));
        bytes[^1] ^= 0x01;
        var error = Assert.Throws<InvalidDataException>(() => MetadataStateMachine.Decode(bytes, "test"));
        Assert.Contains("CRC-32C", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => MetadataStateMachine.Decode(bytes.AsSpan(0, 10), "test"));
    }
}
