namespace LogCluster.Tests.Integration.Cli;

/// <summary>`logcluster demo`, the README's main job, as a process: a 3-node cluster, both send modes, the group read-back.</summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class DemoCliTests
{
    [Fact]
    public async Task Demo_SmallRun_ExitsZeroAndReportsEveryRecordReadBackOnce()
    {
        var run = await CliProcess.RunAsync(["demo", "--sync-records", "200", "--async-records", "5000"], TimeSpan.FromSeconds(90));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("read back 5,200 records with consumer group demo-readers: 0 failed sends, 0 lost, 0 duplicated", run.Output);
        var rows = CliTables.Rows(run.Output);
        Assert.Equal(["mode", "records", "records/s", "p50 ack latency", "p99 ack latency"], rows[0]);
        Assert.Equal(["200", "5,000", "5,200"], rows.Skip(1).Select(r => r[1]));
        // Both send modes report their acknowledgement latency percentiles.
        Assert.All(rows.Skip(1).Take(2), r => Assert.All(r[3..5], latency => Assert.Matches(@"^[\d,]+\.\d\d ms$", latency)));
    }
}
