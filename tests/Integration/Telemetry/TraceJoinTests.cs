using System.Collections.Concurrent;
using System.Diagnostics;
using LogCluster.Consumer;
using LogCluster.Producer;

namespace LogCluster.Tests.Integration.Telemetry;

/// <summary>A record sent inside the application's span is received in the same trace, under the producer's publish span.</summary>
public sealed class TraceJoinTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const string Topic = "traced";

    [Fact]
    public async Task Send_InsideAnApplicationSpan_ConsumerReceivesUnderTheProducersPublishSpan()
    {
        await fixture.Client.CreateTopicAsync(Topic);
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "LogCluster.Producer" or "LogCluster.Consumer" or "test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var application = new ActivitySource("test");
        var bootstrap = $"127.0.0.1:{fixture.Node.Port}";

        ActivityTraceId trace;
        await using (var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build())
        {
            using var span = application.StartActivity("checkout")!;
            trace = span.TraceId;
            await producer.Send(new ProducerRecord<string?, string>(Topic, null, "paid"));
        }
        await using var consumer = new ConsumerBuilder<string?, string>(new ConsumerConfig { BootstrapServers = bootstrap }).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.Beginning)]);
        var received = await consumer.ConsumeAsync().WaitAsync(TimeSpan.FromMinutes(1));

        var publish = Assert.Single(stopped, a => a.Source.Name == "LogCluster.Producer" && a.TraceId == trace);
        Assert.Equal((ActivityKind.Producer, "traced publish"), (publish.Kind, publish.DisplayName));
        Assert.Equal((trace, publish.SpanId), (received.TraceContext.TraceId, received.TraceContext.SpanId));
        var receive = Assert.Single(stopped, a => a.Source.Name == "LogCluster.Consumer" && a.TraceId == trace);
        Assert.Equal(publish.SpanId, receive.ParentSpanId);
    }
}
