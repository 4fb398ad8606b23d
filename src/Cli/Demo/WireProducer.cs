using System.Buffers;
using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Cli.Demo;

/// <summary>
/// Sends records over the raw Produce stream in the two styles the producer SDK will offer: sync (one record
/// per request, each acknowledged before the next) and async (records batched per partition, several requests
/// in flight). Until the SDK lands, this is what the demo measures.
/// </summary>
internal sealed class WireProducer(LogService.LogServiceClient client, string topic, int partitions, int recordBytes)
{
    public static string Value(string mode, int index) => $"{mode}-{index}";

    /// <summary>Sync: returns each record's round-trip latency in microseconds.</summary>
    public async Task<double[]> SendSyncAsync(int records, CancellationToken cancellationToken)
    {
        using var stream = client.Produce(cancellationToken: cancellationToken);
        var latencies = new double[records];
        for (var i = 0; i < records; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await stream.RequestStream.WriteAsync(Request(i, i % partitions, Batch("sync", i, 1)), cancellationToken);
            await ExpectAckAsync(stream, cancellationToken);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
        await stream.RequestStream.CompleteAsync();
        return latencies;
    }

    /// <summary>Async: batches of <paramref name="batchRecords"/> records, round robin over partitions, <paramref name="inFlight"/> requests outstanding.</summary>
    public async Task SendAsyncPipelined(int records, int batchRecords, int inFlight, CancellationToken cancellationToken)
    {
        using var stream = client.Produce(cancellationToken: cancellationToken);
        using var window = new SemaphoreSlim(inFlight);
        var requests = (records + batchRecords - 1) / batchRecords;
        var acks = Task.Run(async () =>
        {
            for (var i = 0; i < requests; i++)
            {
                await ExpectAckAsync(stream, cancellationToken);
                window.Release();
            }
        }, cancellationToken);
        for (var first = 0; first < records; first += batchRecords)
        {
            await window.WaitAsync(cancellationToken);
            var count = Math.Min(batchRecords, records - first);
            await stream.RequestStream.WriteAsync(Request(first, first / batchRecords % partitions, Batch("async", first, count)), cancellationToken);
        }
        await acks;
        await stream.RequestStream.CompleteAsync();
    }

    private ProduceRequest Request(long correlationId, int partition, ReadOnlyMemory<byte> batch) => new()
    {
        CorrelationId = correlationId,
        Acks = Acks.All,
        TimeoutMs = 30_000,
        Batches = { new PartitionBatch { Topic = topic, Partition = partition, RecordBatch = UnsafeByteOperations.UnsafeWrap(batch) } },
    };

    private ReadOnlyMemory<byte> Batch(string mode, int first, int count)
    {
        var builder = new RecordBatchBuilder(new ArrayBufferWriter<byte>(count * (recordBytes + 16)));
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = first; i < first + count; i++)
        {
            builder.Append(now, key: null, Encoding.UTF8.GetBytes(Value(mode, i).PadRight(recordBytes, '.')));
        }
        return builder.Build();
    }

    private static async Task ExpectAckAsync(AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse> stream, CancellationToken cancellationToken)
    {
        if (!await stream.ResponseStream.MoveNext(cancellationToken))
        {
            throw new InvalidOperationException("the node closed the produce stream");
        }
        var result = stream.ResponseStream.Current.Results[0];
        if (result.ErrorCode != ErrorCode.None)
        {
            throw new InvalidOperationException($"produce failed: {result.ErrorCode} {result.ErrorMessage}");
        }
    }
}
