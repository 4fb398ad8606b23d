using LogCluster.Client.Configuration;

namespace LogCluster.Tests.Unit.Client;

public class ConnectionUriTests
{
    [Fact]
    public void Parse_HostsAndQuery_GivesServersAndOptionsInOrder()
    {
        var uri = ConnectionUri.Parse("logcluster://host1:7070,host2:7070?acks=all&linger.ms=5&compression.type=lz4");

        Assert.Equal("host1:7070,host2:7070", uri.BootstrapServers);
        Assert.Equal(
            [new("acks", "all"), new("linger.ms", "5"), new KeyValuePair<string, string>("compression.type", "lz4")],
            uri.Options);
    }

    [Fact]
    public void Parse_PercentEncodedKeysAndValues_AreDecoded()
    {
        var uri = ConnectionUri.Parse("logcluster://h:1?client.id=orders%20app%2Fv1%2B2&client%2Eid2=a%3Db");

        Assert.Equal([new("client.id", "orders app/v1+2"), new KeyValuePair<string, string>("client.id2", "a=b")], uri.Options);
    }

    [Fact]
    public void Parse_PlusSign_StaysAPlus()
    {
        Assert.Equal("a+b", ConnectionUri.Parse("logcluster://h:1?client.id=a+b").Options[0].Value);
    }

    [Theory]
    [InlineData("logcluster://h:1")]
    [InlineData("logcluster://h:1?")]
    [InlineData("logcluster://h:1/")]
    [InlineData("logcluster://h:1/?")]
    [InlineData("logcluster://h:1?&")]
    public void Parse_NoQuery_GivesNoOptions(string text)
    {
        var uri = ConnectionUri.Parse(text);

        Assert.Equal("h:1", uri.BootstrapServers);
        Assert.Empty(uri.Options);
    }

    [Fact]
    public void Parse_EmptyValueAndSchemeInUpperCase_AreAccepted()
    {
        var uri = ConnectionUri.Parse("LogCluster://[::1]:7070?client.id=&&acks=1");

        Assert.Equal("[::1]:7070", uri.BootstrapServers);
        Assert.Equal([new("client.id", ""), new KeyValuePair<string, string>("acks", "1")], uri.Options);
    }

    [Theory]
    [InlineData("http://h:1?acks=all", "must start with logcluster://")]
    [InlineData("h:1,h:2", "must start with logcluster://")]
    [InlineData("logcluster:/h:1", "must start with logcluster://")]
    [InlineData("logcluster://", "names no hosts")]
    [InlineData("logcluster://?acks=all", "names no hosts")]
    [InlineData("logcluster://h1:7070,h2?acks=all", "entry 'h2' has no port")]
    [InlineData("logcluster://h1:7070,?acks=all", "empty entry")]
    [InlineData("logcluster://h1:x", "must have a port in [1, 65535], got 'x'")]
    [InlineData("logcluster://user:secret@h1:7070", "must not contain user info ('user@')")]
    [InlineData("logcluster://h 1:7070", "invalid host 'h 1'")]
    [InlineData("logcluster://h:1/topics?acks=all", "must not have a path ('/topics')")]
    [InlineData("logcluster://h:1?acks=all#x", "must not have a fragment ('#x')")]
    [InlineData("logcluster://h:1?acks=all&acks=1", "option 'acks' is given twice")]
    [InlineData("logcluster://h:1?acks=all&ack%73=1", "option 'acks' is given twice")]
    [InlineData("logcluster://h:1?acks", "option 'acks' has no value")]
    [InlineData("logcluster://h:1?=all", "option '=all' has no key")]
    public void Parse_Malformed_ThrowsSayingWhatIsWrong(string text, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ConnectionUri.Parse(text));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
