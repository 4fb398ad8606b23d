using System.Collections.Concurrent;
using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration;

/// <summary>
/// With flush.messages=1 an acknowledgement means "fsynced". A node SIGKILLed mid-stream must come back with
/// every acknowledged batch, byte-identical and at its acknowledged offset, and with nothing but whole batches
/// that were really sent after them.
/// </summary>
public sealed class FsyncKillTests
{
    private const string Topic = "durable";
    private const int InFlight = 8;
    private const int AcksBeforeKill = 400;

    [Fact]
    public async Task Produce_FsyncBeforeAck_SigkillMidStream_EveryAcknowledgedBatchSurvives()
    {
        using var data = new TempDirectory();
        await using var node = await LocalNode.StartAsync(data.Path);
        var sent = new ConcurrentDictionary<long, byte[]>();
        var acked = new ConcurrentDictionary<long, long>();
        using (var client = new NodeClient(node.Address))
        {
            // Small segments so that rolls (seal + fsync + recovery point) happen during the run too.
            await client.CreateTopicAsync(Topic, configs: new() { ["flush.messages"] = "1", ["segment.bytes"] = "65536" });
            using var stream = client.OpenProduceStream();
            using var window = new SemaphoreSlim(InFlight);
            using var enoughAcks = new CancellationTokenSource();
            var reader = Task.Run(async () =>
            {
                try
                {
                    while (await stream.ResponseStream.MoveNext(CancellationToken.None))
                    {
                        var response = stream.ResponseStream.Current;
                        var result = response.Results.Single();
                        Assert.Equal(ErrorCode.None, result.ErrorCode);
                        acked[response.CorrelationId] = result.BaseOffset;
                        window.Release();
                        if (acked.Count >= AcksBeforeKill)
                        {
                            await enoughAcks.CancelAsync();
                        }
                    }
                }
                catch (Exception e) when (e is Grpc.Core.RpcException or IOException)
                {
                    // The node was killed under the stream.
                }
            });
            var writer = Task.Run(async () =>
            {
                try
                {
                    for (long id = 0; ; id++)
                    {
                        await window.WaitAsync(enoughAcks.Token);
                        sent[id] = TestBatches.Make((int)id, records: 4, valueBytes: 200);
                        await stream.RequestStream.WriteAsync(NodeClient.Request(id, (Topic, 0, sent[id])));
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException or InvalidOperationException or IOException)
                {
                    // Enough acknowledgements, or the node went away.
                }
            });
            await enoughAcks.Token.WhenCancelled().WaitAsync(TimeSpan.FromSeconds(120));
            await node.KillAsync();
            await Task.WhenAll(reader, writer).WaitAsync(TimeSpan.FromSeconds(30));
        }

        await node.StartAsync();
        using (var client = new NodeClient(node.Address))
        {
            var stored = await client.FetchAllAsync(Topic, 0);
            Assert.True(stored.Count >= acked.Count, $"{acked.Count} batches acknowledged, only {stored.Count} recovered\n{node.Output}");
            // One stream, one partition: the log holds the sent batches in send order, from correlation id 0.
            for (var id = 0; id < stored.Count; id++)
            {
                var baseOffset = RecordBatchHeader.Read(stored[id]).BaseOffset;
                Assert.Equal(id * 4L, baseOffset);
                Assert.Equal(TestBatches.AsStored(sent[id], baseOffset), stored[id]);
                if (acked.TryGetValue(id, out var ackedOffset))
                {
                    Assert.Equal(ackedOffset, baseOffset);
                }
            }
        }
    }
}

internal static class CancellationTokenExtensions
{
    public static Task WhenCancelled(this CancellationToken token)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => done.TrySetResult());
        return done.Task;
    }
}
