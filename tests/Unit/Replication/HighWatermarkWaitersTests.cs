using LogCluster.LogNode.Replication;
using LogCluster.Protocol.V1;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Replication;

public sealed class HighWatermarkWaitersTests
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WaitAsync_AlreadyReached_CompletesAtOnce()
    {
        var waiters = new HighWatermarkWaiters(highWatermark: 10);

        var wait = waiters.WaitAsync(10);

        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(ErrorCode.None, await wait);
        Assert.Equal(0, waiters.Count);
    }

    [Fact]
    public async Task Advance_CompletesExactlyTheWaitersItReaches()
    {
        var waiters = new HighWatermarkWaiters();
        var at30 = waiters.WaitAsync(30);
        var at10 = waiters.WaitAsync(10);
        var at20 = waiters.WaitAsync(20);
        var at40 = waiters.WaitAsync(40);

        waiters.Advance(25);

        Assert.Equal(ErrorCode.None, await at10.WaitAsync(_testTimeout));
        Assert.Equal(ErrorCode.None, await at20.WaitAsync(_testTimeout));
        Assert.False(at30.IsCompleted);
        Assert.False(at40.IsCompleted);
        Assert.Equal(2, waiters.Count);

        waiters.Advance(30);

        Assert.Equal(ErrorCode.None, await at30.WaitAsync(_testTimeout));
        Assert.False(at40.IsCompleted);
        Assert.Equal(1, waiters.Count);
    }

    [Fact]
    public void Advance_LowerThanCurrent_IsIgnored()
    {
        var waiters = new HighWatermarkWaiters();
        waiters.Advance(50);
        waiters.Advance(20);

        Assert.Equal(50, waiters.HighWatermark);
        Assert.True(waiters.WaitAsync(40).IsCompletedSuccessfully);
        Assert.False(waiters.WaitAsync(51).IsCompleted);
    }

    [Fact]
    public async Task FailAll_CompletesEveryWaiterWithTheError_AndAcceptsNewOnes()
    {
        var waiters = new HighWatermarkWaiters();
        var first = waiters.WaitAsync(10);
        var second = waiters.WaitAsync(20);

        waiters.FailAll(ErrorCode.NotLeaderOrFollower);

        Assert.Equal(ErrorCode.NotLeaderOrFollower, await first.WaitAsync(_testTimeout));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, await second.WaitAsync(_testTimeout));
        Assert.Equal(0, waiters.Count);

        var later = waiters.WaitAsync(30);
        Assert.False(later.IsCompleted);
        waiters.Advance(30);
        Assert.Equal(ErrorCode.None, await later.WaitAsync(_testTimeout));
    }

    [Fact]
    public void FailAll_WithNone_Throws()
    {
        var waiters = new HighWatermarkWaiters();

        Assert.Throws<ArgumentException>(() => waiters.FailAll(ErrorCode.None));
    }

    [Fact]
    public async Task WaitAsync_CallerTimedOut_WaiterRemovedWhenAdvancedPast()
    {
        var time = new FakeTimeProvider();
        var waiters = new HighWatermarkWaiters();
        var wait = waiters.WaitAsync(100).WaitAsync(TimeSpan.FromSeconds(30), time);

        time.Advance(TimeSpan.FromSeconds(30));

        await Assert.ThrowsAsync<TimeoutException>(() => wait.WaitAsync(_testTimeout));
        Assert.Equal(1, waiters.Count);
        waiters.Advance(100);
        Assert.Equal(0, waiters.Count);
    }

    [Fact]
    public async Task Advance_ContinuationsDoNotRunInline()
    {
        var waiters = new HighWatermarkWaiters();
        using var advanceReturned = new ManualResetEventSlim();
        // Inline, the continuation would run inside Advance and wait for Advance to return: it times out instead.
        var continuation = waiters.WaitAsync(5).ContinueWith(
            _ => advanceReturned.Wait(_testTimeout), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        waiters.Advance(5);
        advanceReturned.Set();

        Assert.True(await continuation.WaitAsync(_testTimeout));
    }

    [Fact]
    public async Task Advance_ManyWaitersInRandomOrder_AllCompleteAndNoneLinger()
    {
        const int seed = 20240601;
        var random = new Random(seed);
        var waiters = new HighWatermarkWaiters();
        var waits = Enumerable.Range(0, 20_000)
            .Select(_ => random.NextInt64(1, 10_000))
            .Select(offset => (Offset: offset, Wait: waiters.WaitAsync(offset)))
            .ToList();

        for (long highWatermark = 0; highWatermark <= 10_000; highWatermark += 97)
        {
            waiters.Advance(highWatermark);
            var early = waits.FirstOrDefault(w => w.Wait.IsCompleted != (w.Offset <= highWatermark));
            Assert.True(early.Wait is null, $"seed {seed}: waiter at {early.Offset} in the wrong state at high watermark {highWatermark}");
        }
        waiters.Advance(10_000);

        var results = await Task.WhenAll(waits.Select(w => w.Wait)).WaitAsync(_testTimeout);
        Assert.All(results, result => Assert.Equal(ErrorCode.None, result));
        Assert.Equal(0, waiters.Count);
    }

    [Fact]
    public async Task WaitAsync_ConcurrentWithAdvance_EveryWaiterCompletes()
    {
        var waiters = new HighWatermarkWaiters();
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
            Enumerable.Range(1, 2_000).Select(i => waiters.WaitAsync((i * 4) + p)).ToList()));
        var advancer = Task.Run(() =>
        {
            for (long highWatermark = 0; highWatermark <= 8_004; highWatermark += 3)
            {
                waiters.Advance(highWatermark);
            }
        });

        var waits = (await Task.WhenAll(producers).WaitAsync(_testTimeout)).SelectMany(w => w).ToList();
        await advancer.WaitAsync(_testTimeout);
        waiters.Advance(8_004);

        await Task.WhenAll(waits).WaitAsync(_testTimeout);
        Assert.Equal(0, waiters.Count);
    }
}
