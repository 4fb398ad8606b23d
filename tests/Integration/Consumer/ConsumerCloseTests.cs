using LogCluster.Consumer;

namespace LogCluster.Tests.Integration.Consumer;

/// <summary>
/// Closing a consumer while another thread waits in Consume for records that are not coming: the way an
/// application ends a <c>Consume(Timeout.InfiniteTimeSpan)</c> at shutdown, which has no token to cancel.
/// </summary>
public sealed class ConsumerCloseTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(30);

    private ConsumerConfig Config => new() { BootstrapServers = $"127.0.0.1:{fixture.Node.Port}" };

    [Fact]
    public async Task Dispose_WhileAnotherThreadWaitsInConsumeWithoutTimeout_WakesItWithObjectDisposed()
    {
        const string Topic = "consumer-close-sync";
        await fixture.Client.CreateTopicAsync(Topic);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.Beginning)]);
        Exception? thrown = null;
        var waiter = new Thread(() =>
        {
            try
            {
                consumer.Consume(Timeout.InfiniteTimeSpan);
            }
            catch (Exception e)
            {
                thrown = e;
            }
        })
        {
            // A Consume that is never woken must not keep the test process alive.
            IsBackground = true,
        };
        waiter.Start();
        // Closed once it sleeps waiting for records, not before it got there.
        Assert.True(SpinWait.SpinUntil(() => waiter.ThreadState.HasFlag(ThreadState.WaitSleepJoin), _patience), "Consume never waited");

        consumer.Dispose();

        Assert.True(waiter.Join(_patience), "Consume still waits after Dispose");
        Assert.IsType<ObjectDisposedException>(thrown);
    }

    [Fact]
    public async Task DisposeAsync_WhileConsumeAsyncWaits_EndsItWithObjectDisposed()
    {
        const string Topic = "consumer-close-async";
        await fixture.Client.CreateTopicAsync(Topic);
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.Beginning)]);
        var consuming = consumer.ConsumeAsync();
        Assert.False(consuming.IsCompleted, "the empty topic gave a record");

        await consumer.DisposeAsync().AsTask().WaitAsync(_patience);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => consuming.WaitAsync(_patience));
    }
}
