using LogCluster.Client;
using LogCluster.Producer;
using LogCluster.Producer.Internals;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.V1;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Producer;

/// <summary>Retries on a fake clock: backoff is waited in fake time, only retriable errors retry, the deadline ends it.</summary>
public sealed class DeliveryFlowTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordAccumulator _accumulator;
    private readonly DeliveryFlow _flow;
    private int _wakes;

    public DeliveryFlowTests()
    {
        var config = new ProducerConfig { RetryBackoff = TimeSpan.FromMilliseconds(100), RetryBackoffMax = TimeSpan.FromSeconds(1) };
        _accumulator = new RecordAccumulator(CompressionType.None, 16_384, _time);
        _flow = new DeliveryFlow(config, _accumulator, _time, () => Interlocked.Increment(ref _wakes), _ => { });
    }

    private ProducerBatch NewDrainedBatch(TimeSpan deadline)
    {
        var record = new PendingRecord(null, [1, 2, 3], [], 0, 64, callback: null);
        var batch = _accumulator.Append(new PartitionKey("t", 0), record, _time.GetTimestamp() + (long)(deadline.TotalSeconds * _time.TimestampFrequency))!;
        // As the sender does: out of the queue, encoded, in delivery.
        _accumulator.TryRemoveQueued(batch);
        batch.Drain();
        return batch;
    }

    [Fact]
    public async Task DeliverAsync_RetriableError_RequeuesOnlyAfterTheBackoffPassesInFakeTime()
    {
        var batch = NewDrainedBatch(TimeSpan.FromMinutes(2));
        var delivery = _flow.DeliverAsync(batch);

        batch.Attempt.SetResult(new AttemptResult(ErrorCode.NotLeaderOrFollower, "moved", -1));
        // However long real time runs, the backoff is counted on the fake clock: no retry without advancing it.
        await Task.Delay(50);
        Assert.Equal(0, Volatile.Read(ref _wakes));

        // Step the clock (Polly may register its timer a moment after the error): the retry comes within the cap.
        var advanced = TimeSpan.Zero;
        while (Volatile.Read(ref _wakes) == 0)
        {
            Assert.True(advanced < TimeSpan.FromSeconds(30), "no retry although the fake clock passed retry.backoff.max.ms many times");
            _time.Advance(TimeSpan.FromMilliseconds(50));
            advanced += TimeSpan.FromMilliseconds(50);
            await Task.Delay(1);
        }
        batch.Attempt.SetResult(AttemptResult.Sent(42));

        Assert.Equal(42, await delivery.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task DeliverAsync_NonRetriableError_FailsAtOnceWithoutRetry()
    {
        var batch = NewDrainedBatch(TimeSpan.FromMinutes(2));
        var delivery = _flow.DeliverAsync(batch);

        batch.Attempt.SetResult(new AttemptResult(ErrorCode.MessageTooLarge, "too big", -1));

        var error = await Assert.ThrowsAsync<LogClusterException>(() => delivery.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorCode.MessageTooLarge, error.ErrorCode);
        Assert.Equal(0, Volatile.Read(ref _wakes));
    }

    [Fact]
    public async Task DeliverAsync_DeadlinePassesWhileRetrying_StopsWithCancellation()
    {
        var batch = NewDrainedBatch(TimeSpan.FromSeconds(5));
        var delivery = _flow.DeliverAsync(batch);
        batch.Attempt.SetResult(new AttemptResult(ErrorCode.NetworkException, "down", -1));

        _time.Advance(TimeSpan.FromSeconds(6));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delivery.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(batch.Deadline.IsCancellationRequested);
    }
}
