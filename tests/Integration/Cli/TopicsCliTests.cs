using System.Globalization;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration.Cli;

/// <summary>`logcluster topics` as a process against a real node: what it prints, what it changes, how it fails.</summary>
public sealed class TopicsCliTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    private string Bootstrap => $"127.0.0.1:{fixture.Node.Port}";

    private Task<CliRun> RunAsync(params string[] args) => CliProcess.RunAsync([.. args, "--bootstrap-server", Bootstrap], _timeout);

    [Fact]
    public async Task Topics_CreateListDescribeDelete_EachStepDoneOnTheNodeAndShownByTheNext()
    {
        const string Topic = "cli-orders";
        var nodeId = (await fixture.Client.Admin.MetadataAsync(new MetadataRequest())).Nodes.Single().NodeId.ToString(CultureInfo.InvariantCulture);

        var created = await RunAsync("topics", "create", "--topic", Topic, "--partitions", "3", "--config", "retention.ms=60000", "--config", "segment.bytes=1048576");
        Assert.True(created.ExitCode == 0, created.ToString());
        var spec = (await fixture.Client.Admin.ListTopicsAsync(new ListTopicsRequest())).Topics.Single(t => t.Name == Topic);
        Assert.Equal((3, 1, "60000", "1048576"), (spec.Partitions, spec.ReplicationFactor, spec.Configs["retention.ms"], spec.Configs["segment.bytes"]));

        var listed = await RunAsync("topics", "list");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains(Topic, listed.Output.Split('\n', StringSplitOptions.TrimEntries));

        var described = await RunAsync("topics", "describe", "--topic", Topic);
        Assert.True(described.ExitCode == 0, described.ToString());
        Assert.Contains($"topic {Topic}: 3 partitions, replication factor 1", described.Output);
        var rows = CliTables.Rows(described.Output);
        // One row per partition (partition, leader, leader epoch, replicas, ISR), then the effective configs.
        Assert.Equal(["partition", "leader", "leader epoch", "replicas", "ISR"], rows[0]);
        Assert.Equal(
            [["0", nodeId, "0", nodeId, nodeId], ["1", nodeId, "0", nodeId, nodeId], ["2", nodeId, "0", nodeId, nodeId]],
            rows.Where(r => r.Length == 5 && r[0] != "partition"));
        Assert.Contains(["retention.ms", "60000"], rows);
        Assert.Contains(["segment.bytes", "1048576"], rows);
        Assert.Contains(["min.insync.replicas", "1"], rows);

        var deleted = await RunAsync("topics", "delete", "--topic", Topic);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.DoesNotContain((await fixture.Client.Admin.ListTopicsAsync(new ListTopicsRequest())).Topics, t => t.Name == Topic);
        Assert.DoesNotContain(Topic, (await RunAsync("topics", "list")).Output.Split('\n', StringSplitOptions.TrimEntries));
        var describedAfter = await RunAsync("topics", "describe", "--topic", Topic);
        Assert.Equal((1, $"error: topic '{Topic}' does not exist"), (describedAfter.ExitCode, describedAfter.Errors.Trim()));
    }

    [Fact]
    public async Task Create_NameTakenOrSpecRefused_ExitCode1WithTheNodesErrorCodeOnStderr()
    {
        await fixture.Client.CreateTopicAsync("cli-taken");

        var again = await RunAsync("topics", "create", "--topic", "cli-taken");
        var tooManyCopies = await RunAsync("topics", "create", "--topic", "cli-three-copies", "--replication-factor", "3");

        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("error: topic 'cli-taken' not created: TopicAlreadyExists", again.Errors, StringComparison.Ordinal);
        Assert.Equal(1, tooManyCopies.ExitCode);
        Assert.StartsWith("error: topic 'cli-three-copies' not created: InvalidReplicationFactor", tooManyCopies.Errors, StringComparison.Ordinal);
        Assert.Empty(again.Output + tooManyCopies.Output);
    }

    [Fact]
    public async Task Create_ConfigWithoutEquals_RefusedBeforeAnythingIsSent()
    {
        var run = await RunAsync("topics", "create", "--topic", "cli-bad-config", "--config", "retention.ms");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--config retention.ms: expected key=value", run.Errors);
        Assert.DoesNotContain((await fixture.Client.Admin.ListTopicsAsync(new ListTopicsRequest())).Topics, t => t.Name == "cli-bad-config");
    }

    [Fact]
    public async Task List_NoNodeAtTheAddress_ExitCode1SaysItCannotReachIt()
    {
        var run = await CliProcess.RunAsync(["topics", "list", "--bootstrap-server", "127.0.0.1:1"], _timeout);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: cannot reach 127.0.0.1:1", run.Errors, StringComparison.Ordinal);
    }
}
