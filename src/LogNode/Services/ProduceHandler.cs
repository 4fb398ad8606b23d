using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>
/// Turns one ProduceRequest into appends and, later, its response. <see cref="Handle"/> appends every valid
/// batch before it returns, so the order of requests on a stream is the order in the log; the returned task
/// completes when the appends are as durable as each topic's flush policy requires. A bad batch fails only
/// its own partition.
/// </summary>
internal sealed class ProduceHandler(LogManager logs, ILogger<ProduceHandler> logger)
{
    /// <summary>Appends now; the task yields the response, or null for acks NONE (no response is sent).</summary>
    public Task<ProduceResponse?> Handle(ProduceRequest request)
    {
        var results = new PartitionProduceResult[request.Batches.Count];
        var durable = new Task[results.Length];
        var acksValid = request.Acks is Acks.None or Acks.Leader or Acks.All;
        for (var i = 0; i < results.Length; i++)
        {
            var batch = request.Batches[i];
            (results[i], durable[i]) = acksValid
                ? Append(batch)
                : (Failed(batch, ErrorCode.InvalidRequiredAcks, $"acks must be NONE, LEADER or ALL, got {request.Acks}"), Task.CompletedTask);
        }
        return request.Acks == Acks.None ? Task.FromResult<ProduceResponse?>(null) : Respond(request.CorrelationId, results, durable);
    }

    private (PartitionProduceResult, Task) Append(PartitionBatch batch)
    {
        var log = logs.FindPartition(batch.Topic, batch.Partition);
        if (log is null)
        {
            return (Failed(batch, ErrorCode.UnknownTopicOrPartition, $"{batch.Topic}-{batch.Partition} does not exist on this node"), Task.CompletedTask);
        }
        var bytes = batch.RecordBatch.Memory;
        var validation = BatchValidation.Validate(bytes.Span, log.Config.MaxMessageBytes);
        if (!validation.IsValid)
        {
            return (Failed(batch, validation.Error, validation.Message), Task.CompletedTask);
        }
        try
        {
            var appended = log.Append(bytes, validation.Header);
            var result = new PartitionProduceResult
            {
                Topic = batch.Topic,
                Partition = batch.Partition,
                ErrorCode = ErrorCode.None,
                BaseOffset = appended.BaseOffset,
                LogAppendTimeMs = -1,
                LogStartOffset = appended.LogStartOffset,
            };
            return (result, appended.Durable);
        }
        catch (ObjectDisposedException)
        {
            return (Failed(batch, ErrorCode.UnknownTopicOrPartition, $"{batch.Topic} was deleted"), Task.CompletedTask);
        }
        catch (AppendRejectedException e)
        {
            return (Failed(batch, e.Error, e.Message), Task.CompletedTask);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            NodeLog.AppendFailed(logger, e, batch.Topic, batch.Partition);
            return (Failed(batch, ErrorCode.StorageError, e.Message), Task.CompletedTask);
        }
    }

    private async Task<ProduceResponse?> Respond(long correlationId, PartitionProduceResult[] results, Task[] durable)
    {
        var response = new ProduceResponse { CorrelationId = correlationId };
        for (var i = 0; i < results.Length; i++)
        {
            try
            {
                await durable[i];
            }
            catch (IOException e)
            {
                // The batch is in the log but its fsync failed: the client must not count it as durable.
                NodeLog.FsyncFailed(logger, e, results[i].Topic, results[i].Partition);
                results[i] = Failed(results[i].Topic, results[i].Partition, ErrorCode.StorageError, $"fsync failed: {e.Message}");
            }
            response.Results.Add(results[i]);
        }
        return response;
    }

    private static PartitionProduceResult Failed(PartitionBatch batch, ErrorCode code, string message) =>
        Failed(batch.Topic, batch.Partition, code, message);

    private static PartitionProduceResult Failed(string topic, int partition, ErrorCode code, string message) => new()
    {
        Topic = topic,
        Partition = partition,
        ErrorCode = code,
        ErrorMessage = message,
        BaseOffset = -1,
        LogAppendTimeMs = -1,
        LogStartOffset = -1,
    };
}
