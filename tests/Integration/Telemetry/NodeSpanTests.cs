using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using LogCluster.Cli.LocalCluster;
using LogCluster.Producer;

namespace LogCluster.Tests.Integration.Telemetry;

/// <summary>
/// The node's produce span joins the producer's trace: a node exporting OTLP over HTTP to a receiver in the test
/// sends a span with the application's trace id. The receiver reads raw OTLP protobuf and looks for the trace id's
/// 16 bytes and the span's name, which is enough to tell that span apart without an OTLP decoder.
/// </summary>
public sealed class NodeSpanTests
{
    private const string Topic = "traced-node";

    [Fact]
    public async Task Produce_InsideAnApplicationSpan_NodeExportsAProduceSpanInTheSameTrace()
    {
        var port = LoopbackPorts.Free();
        await using var receiver = new OtlpHttpReceiver(port);
        using var data = new TempDirectory();
        await using var node = await LocalNode.StartAsync(data.Path, "--otlp-endpoint", $"http://127.0.0.1:{port}", "--otlp-protocol", "http/protobuf");
        using (var client = new NodeClient(node.Address))
        {
            await client.CreateTopicAsync(Topic);
        }
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "test" or "LogCluster.Producer",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var application = new ActivitySource("test");

        var published = new ConcurrentQueue<Activity>();
        listener.ActivityStopped = published.Enqueue;
        byte[] traceId;
        ActivityTraceId trace;
        await using (var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = $"127.0.0.1:{node.Port}" }).Build())
        {
            using var span = application.StartActivity("checkout")!;
            trace = span.TraceId;
            traceId = Convert.FromHexString(trace.ToHexString());
            await producer.Send(new ProducerRecord<string?, string>(Topic, null, "paid"));
        }

        // The node's span is the child of the producer's publish span: its parent span id is the publish span's id.
        var publish = Assert.Single(published, a => a.Source.Name == "LogCluster.Producer" && a.TraceId == trace);
        var parentSpanId = Convert.FromHexString(publish.SpanId.ToHexString());
        // The node's batch exporter sends every 5 s.
        var name = Encoding.UTF8.GetBytes($"{Topic} produce");
        var started = Stopwatch.GetTimestamp();
        while (!receiver.Traces.Any(body => body.AsSpan().IndexOf(traceId) >= 0 && body.AsSpan().IndexOf(name) >= 0 && body.AsSpan().IndexOf(parentSpanId) >= 0))
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30),
                $"no exported span '{Topic} produce' of trace {Convert.ToHexString(traceId)} under span {publish.SpanId} after 30 s ({receiver.Traces.Count} trace exports)");
            await Task.Delay(200);
        }
    }


    /// <summary>Accepts OTLP/HTTP posts on 127.0.0.1 and keeps the bodies sent to /v1/traces.</summary>
    private sealed class OtlpHttpReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public OtlpHttpReceiver(int port)
        {
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _loop = Task.Run(ReceiveAsync);
        }

        public ConcurrentQueue<byte[]> Traces { get; } = new();

        private async Task ReceiveAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                if (context.Request.Url?.AbsolutePath == "/v1/traces")
                {
                    Traces.Enqueue(body.ToArray());
                }
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
        }
    }
}
