using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Bench;

/// <summary>
/// Drives one scenario against one target: each stream keeps its window of requests in flight; a request's
/// latency is send to acknowledgement. Batches are built once per partition before the run and resent, so the
/// client spends its CPU on gRPC, not on encoding: what is measured is the server's path.
/// </summary>
internal static class LoadGenerator
{
    public static async Task<RunResult> RunAsync(Uri target, Scenario scenario, TimeSpan warmup, TimeSpan measure)
    {
        using var channel = GrpcChannel.ForAddress(target, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
        var topic = "bench-" + Guid.NewGuid().ToString("N")[..8];
        await CreateTopicAsync(channel, topic, scenario);
        var batches = Enumerable.Range(0, Scenario.Partitions).Select(_ => BuildBatch(scenario)).ToArray();
        var client = new LogService.LogServiceClient(channel);

        using var stop = new CancellationTokenSource();
        var measuring = new MeasureWindow();
        var counters = Enumerable.Range(0, scenario.Streams).Select(_ => new StreamCounters()).ToArray();
        var streams = counters.Select((c, i) => RunStreamAsync(client, topic, batches, scenario, i, c, measuring, stop.Token)).ToArray();
        await Task.Delay(warmup);
        measuring.Value = true;
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(measure);
        measuring.Value = false;
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await stop.CancelAsync();
        await Task.WhenAll(streams);

        var latencies = new LongHistogram(TimeStamp.Minutes(1), 3);
        foreach (var c in counters)
        {
            latencies.Add(c.Latencies);
        }
        var records = counters.Sum(c => c.Requests) * (double)scenario.RecordsPerBatch;
        return new RunResult(
            records / elapsed,
            records * scenario.RecordBytes / 1e6 / elapsed,
            Micros(latencies.GetValueAtPercentile(50)),
            Micros(latencies.GetValueAtPercentile(99)));
    }

    private static double Micros(long stopwatchTicks) => stopwatchTicks * 1e6 / Stopwatch.Frequency;

    private static async Task RunStreamAsync(LogService.LogServiceClient client, string topic, ReadOnlyMemory<byte>[] batches, Scenario scenario, int streamIndex, StreamCounters counters, MeasureWindow measuring, CancellationToken stop)
    {
        using var call = client.Produce(cancellationToken: CancellationToken.None);
        using var window = new SemaphoreSlim(scenario.InFlight);
        var sentAt = new ConcurrentQueue<long>();
        var reader = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                sentAt.TryDequeue(out var sent);
                var result = call.ResponseStream.Current.Results[0];
                if (result.ErrorCode != ErrorCode.None)
                {
                    throw new InvalidOperationException($"{result.ErrorCode}: {result.ErrorMessage}");
                }
                if (measuring.Value)
                {
                    counters.Requests++;
                    counters.Latencies.RecordValue(Stopwatch.GetTimestamp() - sent);
                }
                window.Release();
            }
        }, CancellationToken.None);
        try
        {
            for (long id = 0; !stop.IsCancellationRequested; id++)
            {
                await window.WaitAsync(stop);
                var partition = (int)((id + streamIndex) % Scenario.Partitions);
                sentAt.Enqueue(Stopwatch.GetTimestamp());
                await call.RequestStream.WriteAsync(new ProduceRequest
                {
                    CorrelationId = id,
                    Acks = Acks.Leader,
                    TimeoutMs = 30_000,
                    Batches = { new PartitionBatch { Topic = topic, Partition = partition, RecordBatch = UnsafeByteOperations.UnsafeWrap(batches[partition]) } },
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // The measurement is over.
        }
        await call.RequestStream.CompleteAsync();
        await reader;
    }

    private static async Task CreateTopicAsync(GrpcChannel channel, string topic, Scenario scenario)
    {
        var spec = new TopicSpec { Name = topic, Partitions = Scenario.Partitions, ReplicationFactor = 1 };
        if (scenario.Fsync)
        {
            spec.Configs["flush.messages"] = "1";
        }
        try
        {
            var result = (await new AdminService.AdminServiceClient(channel).CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } })).Results[0];
            if (result.ErrorCode != ErrorCode.None)
            {
                throw new InvalidOperationException($"{result.ErrorCode}: {result.ErrorMessage}");
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            // The ack-only baseline has no topics.
        }
    }

    private static ReadOnlyMemory<byte> BuildBatch(Scenario scenario)
    {
        var random = new Random(42);
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>());
        for (var i = 0; i < scenario.RecordsPerBatch; i++)
        {
            var value = new byte[scenario.RecordBytes];
            random.NextBytes(value);
            builder.Append(1_700_000_000_000 + i, key: null, value);
        }
        return builder.Build();
    }

    /// <summary>Set while the measured window runs; streams count only then.</summary>
    private sealed class MeasureWindow
    {
        public volatile bool Value;
    }

    private sealed class StreamCounters
    {
        public long Requests;
        public readonly LongHistogram Latencies = new(TimeStamp.Minutes(1), 3);
    }
}
