using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration;

/// <summary>The generated gRPC clients of one node, plus the few calls tests repeat.</summary>
internal sealed class NodeClient : IDisposable
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private readonly GrpcChannel _channel;

    /// <param name="address">The node.</param>
    /// <param name="handler">How to connect, when not the default way (from a network namespace, say).</param>
    public NodeClient(Uri address, HttpMessageHandler? handler = null)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, HttpHandler = handler });
        Log = new LogService.LogServiceClient(_channel);
        Admin = new AdminService.AdminServiceClient(_channel);
    }

    public LogService.LogServiceClient Log { get; }

    public AdminService.AdminServiceClient Admin { get; }

    private static DateTime Deadline => DateTime.UtcNow + CallTimeout;

    public async Task CreateTopicAsync(string name, int partitions = 1, Dictionary<string, string>? configs = null)
    {
        var spec = new TopicSpec { Name = name, Partitions = partitions, ReplicationFactor = 1 };
        spec.Configs.Add(configs ?? []);
        var response = await Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } }, deadline: Deadline);
        Assert.Equal(ErrorCode.None, response.Results.Single().ErrorCode);
    }

    public AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse> OpenProduceStream() => Log.Produce();

    public static ProduceRequest Request(long correlationId, params (string Topic, int Partition, byte[] Batch)[] batches)
    {
        var request = new ProduceRequest { CorrelationId = correlationId, Acks = Acks.All, TimeoutMs = 30_000 };
        foreach (var (topic, partition, batch) in batches)
        {
            request.Batches.Add(new PartitionBatch { Topic = topic, Partition = partition, RecordBatch = ByteString.CopyFrom(batch) });
        }
        return request;
    }

    /// <summary>Sends one request on the stream and reads its response.</summary>
    public static async Task<ProduceResponse> RoundTripAsync(AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse> stream, ProduceRequest request)
    {
        await stream.RequestStream.WriteAsync(request).WaitAsync(CallTimeout);
        Assert.True(await stream.ResponseStream.MoveNext().WaitAsync(CallTimeout), "the produce stream ended");
        var response = stream.ResponseStream.Current;
        Assert.Equal(request.CorrelationId, response.CorrelationId);
        return response;
    }

    /// <summary>Every record of partitions 0 to <paramref name="partitions"/>-1 as UTF-8 (key, value), in offset order.</summary>
    public async Task<Dictionary<int, List<(string Key, string Value)>>> ReadAllAsync(string topic, int partitions)
    {
        var result = new Dictionary<int, List<(string, string)>>();
        for (var p = 0; p < partitions; p++)
        {
            result[p] = [.. (await FetchAllAsync(topic, p)).SelectMany(b => LogCluster.Protocol.Records.RecordBatchReader.ReadRecords(b))
                .Select(r => (r.Key is null ? "" : System.Text.Encoding.UTF8.GetString(r.Key), System.Text.Encoding.UTF8.GetString(r.Value!)))];
        }
        return result;
    }

    /// <summary>Reads every batch from <paramref name="fromOffset"/> to the high watermark.</summary>
    public async Task<List<byte[]>> FetchAllAsync(string topic, int partition, long fromOffset = 0, int maxBytes = 1 << 20)
    {
        var batches = new List<byte[]>();
        var offset = fromOffset;
        while (true)
        {
            var request = new FetchRequest { ReplicaId = -1, MaxWaitMs = 0, MinBytes = 0, MaxBytes = maxBytes };
            request.Partitions.Add(new FetchPartition { Topic = topic, Partition = partition, FetchOffset = offset, CurrentLeaderEpoch = -1 });
            var result = (await Log.FetchAsync(request, deadline: Deadline)).Partitions.Single();
            Assert.Equal(ErrorCode.None, result.ErrorCode);
            var fetched = TestBatches.Split(result.RecordBatches.Memory);
            if (fetched.Count == 0)
            {
                Assert.Equal(result.HighWatermark, offset);
                return batches;
            }
            batches.AddRange(fetched);
            offset = LogCluster.Protocol.Records.RecordBatchHeader.Read(fetched[^1]).NextOffset;
        }
    }

    public void Dispose() => _channel.Dispose();
}
