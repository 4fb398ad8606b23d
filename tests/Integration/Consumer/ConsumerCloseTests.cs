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

    [Fact]
    public async Task Dispose_RevokedHandlerThrows_StillLeavesSoThePartitionsMoveBeforeTheSessionExpires()
    {
        const string Topic = "consumer-close-group";
        const int Partitions = 2;
        await fixture.Client.CreateTopicAsync(Topic, Partitions);
        var config = Config with { GroupId = "consumer-close-group", SessionTimeout = TimeSpan.FromSeconds(60) };
        using var first = new ConsumerBuilder<byte[]?, byte[]>(config)
            .SetPartitionsRevokedHandler((_, _) => throw new InvalidOperationException("the application's handler failed"))
            .Build();
        first.Subscribe([Topic]);
        await AssignedAsync(first, Partitions);

        first.Dispose();

        // Well within the 60 s session: only a member that left hands its partitions over this soon.
        using var second = new ConsumerBuilder<byte[]?, byte[]>(config).Build();
        second.Subscribe([Topic]);
        await AssignedAsync(second, Partitions);
    }

    /// <summary>Consumes (the group's assignment is applied inside Consume) until the member holds <paramref name="count"/> partitions.</summary>
    private static async Task AssignedAsync(IConsumer<byte[]?, byte[]> member, int count)
    {
        var waiting = Task.Run(() =>
        {
            while (member.Assignment.Count < count)
            {
                member.Consume(TimeSpan.FromMilliseconds(50));
            }
        });
        await waiting.WaitAsync(_patience);
    }
}
