namespace LogCluster.Tests.Integration.Cli;

/// <summary>`logcluster consume` as a process: one partition from a given offset, stopping after --max-messages.</summary>
public sealed class ConsumeCliTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    private string Bootstrap => $"127.0.0.1:{fixture.Node.Port}";

    [Fact]
    public async Task Consume_PartitionFromOffsetWithMaxMessages_PrintsExactlyThoseRecordsAndExits()
    {
        const string Topic = "cli-consume-offset";
        await fixture.Client.CreateTopicAsync(Topic);
        var produced = await CliProcess.RunAsync(["produce", "--bootstrap-server", Bootstrap, "--topic", Topic, "--sync"], _timeout,
            input: string.Join('\n', Enumerable.Range(0, 10).Select(i => $"record {i}")) + "\n");
        Assert.True(produced.ExitCode == 0, produced.ToString());

        var run = await CliProcess.RunAsync(["consume", "--bootstrap-server", Bootstrap, "--topic", Topic, "--partition", "0", "--offset", "4", "--max-messages", "3"], _timeout);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["0\t4\trecord 4", "0\t5\trecord 5", "0\t6\trecord 6"], run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Consume_OffsetWithoutPartition_RefusedWithTheReason()
    {
        var run = await CliProcess.RunAsync(["consume", "--bootstrap-server", Bootstrap, "--topic", "any", "--offset", "4"], _timeout);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--offset needs --partition", run.Errors + run.Output, StringComparison.Ordinal);
    }
}
