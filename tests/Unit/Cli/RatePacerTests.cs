using LogCluster.Cli.ClientCommands.Perf;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Cli;

/// <summary>`perf produce --throughput`: record n is due n / rate seconds after the start, on a fake clock.</summary>
public sealed class RatePacerTests
{
    [Fact]
    public void WaitForTurn_AheadOfTheSchedule_CompletesWhenTheRecordIsDue()
    {
        var time = new FakeTimeProvider();
        var pacer = new RatePacer(1000, time);

        Assert.True(pacer.WaitForTurnAsync(0, CancellationToken.None).AsTask().IsCompleted);
        var tenth = pacer.WaitForTurnAsync(10, CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.False(tenth.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(tenth.IsCompleted);
    }

    [Fact]
    public void WaitForTurn_BehindTheSchedule_NoWaitUntilCaughtUp()
    {
        var time = new FakeTimeProvider();
        var pacer = new RatePacer(1000, time);

        // A sender that stalled for a second may send the second's 1,000 records at once, and no more.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.All(Enumerable.Range(0, 1001), n => Assert.True(pacer.WaitForTurnAsync(n, CancellationToken.None).AsTask().IsCompleted));
        Assert.False(pacer.WaitForTurnAsync(1010, CancellationToken.None).AsTask().IsCompleted);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void WaitForTurn_NoTarget_NeverWaits(double recordsPerSecond)
    {
        var pacer = new RatePacer(recordsPerSecond, new FakeTimeProvider());

        Assert.True(pacer.WaitForTurnAsync(1_000_000_000, CancellationToken.None).AsTask().IsCompleted);
    }
}
