using System.Diagnostics;
using LogCluster.LogNode.Replication;
using LogCluster.LogNode.Storage;
using LogCluster.LogNode.Telemetry;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>
/// Turns one ProduceRequest into appends and, later, its response. <see cref="Handle"/> appends every valid
/// batch before it returns, so the order of requests on a stream is the order in the log; the returned task
/// completes when the appends are as durable as each topic's flush policy requires and, for acks=all, when
/// the high watermark has passed them (every in-sync replica has them). A bad batch fails only its own partition.
/// </summary>
internal sealed class ProduceHandler(ReplicaManager replicas, NodeMetrics metrics, ILogger<ProduceHandler> logger)
{
    /// <summary>
    /// Appends now; the task yields the response, or for acks NONE null (no response is sent) unless
    /// <paramref name="reportUnacknowledged"/>: then the append results at once, for a listener that must act on
    /// an error nobody will be told about (Kafka's closes the connection).
    /// </summary>
    public Task<ProduceResponse?> Handle(ProduceRequest request, bool reportUnacknowledged = false)
    {
        var started = Stopwatch.GetTimestamp();
        var results = new PartitionProduceResult[request.Batches.Count];
        var durable = new Task[results.Length];
        // Spans only when tracing listens: the common path allocates no array.
        var spans = NodeTracing.Enabled ? new Activity?[results.Length] : null;
        var acksValid = request.Acks is Acks.None or Acks.Leader or Acks.All;
        for (var i = 0; i < results.Length; i++)
        {
            var batch = request.Batches[i];
            spans?[i] = NodeTracing.StartProduce(batch);
            (results[i], durable[i]) = acksValid
                ? Append(batch, request.Acks == Acks.All, request.TimeoutMs)
                : (Failed(batch, ErrorCode.InvalidRequiredAcks, $"acks must be NONE, LEADER or ALL, got {request.Acks}"), Task.CompletedTask);
        }
        if (request.Acks == Acks.None)
        {
            for (var i = 0; spans is not null && i < spans.Length; i++)
            {
                NodeTracing.Stop(spans[i], results[i]);
            }
            metrics.ProduceCompleted(started, AcksTag(request.Acks));
            return Task.FromResult(reportUnacknowledged ? new ProduceResponse { CorrelationId = request.CorrelationId, Results = { results } } : null);
        }
        return Respond(request.CorrelationId, results, durable, spans, started, AcksTag(request.Acks));
    }

    private static string AcksTag(Acks acks) => acks switch
    {
        Acks.None => "0",
        Acks.Leader => "1",
        Acks.All => "all",
        _ => "invalid",
    };

    private (PartitionProduceResult, Task) Append(PartitionBatch batch, bool acksAll, int timeoutMs)
    {
        var replica = replicas.Find(batch.Topic, batch.Partition);
        if (replica is null)
        {
            return (Failed(batch, ErrorCode.UnknownTopicOrPartition, $"{batch.Topic}-{batch.Partition} does not exist on this node"), Task.CompletedTask);
        }
        var (leaderError, leaderMessage) = replica.CheckLeaderForAppend(acksAll);
        if (leaderError != ErrorCode.None)
        {
            return (Failed(batch, leaderError, leaderMessage), Task.CompletedTask);
        }
        var log = replica.Log;
        var bytes = batch.RecordBatch.Memory;
        var validation = BatchValidation.Validate(bytes.Span, log.Config.MaxMessageBytes);
        if (!validation.IsValid)
        {
            return (Failed(batch, validation.Error, validation.Message), Task.CompletedTask);
        }
        try
        {
            var appended = log.Append(bytes, validation.Header);
            replica.OnLeaderAppend();
            if (!appended.Duplicate)
            {
                metrics.Appended(batch.Topic, bytes.Length, validation.Header.RecordCount);
            }
            var result = new PartitionProduceResult
            {
                Topic = batch.Topic,
                Partition = batch.Partition,
                ErrorCode = ErrorCode.None,
                BaseOffset = appended.BaseOffset,
                LogAppendTimeMs = -1,
                LogStartOffset = appended.LogStartOffset,
            };
            return (result, acksAll ? ReplicatedAsync(replica, appended, timeoutMs) : appended.Durable);
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

    /// <summary>Kafka's request.timeout.ms default, for requests that leave timeout_ms at 0.</summary>
    private const int DefaultTimeoutMs = 30_000;

    /// <summary>Durable locally, then in every in-sync replica; fails with the error that ended the wait.</summary>
    private static async Task ReplicatedAsync(PartitionReplica replica, AppendResult appended, int timeoutMs)
    {
        await appended.Durable.ConfigureAwait(false);
        var timeout = TimeSpan.FromMilliseconds(timeoutMs > 0 ? timeoutMs : DefaultTimeoutMs);
        ErrorCode error;
        try
        {
            error = await replica.WaitForReplicationAsync(appended.LastOffset + 1).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            error = ErrorCode.RequestTimedOut;
        }
        if (error != ErrorCode.None)
        {
            throw new ReplicationFailedException(error, $"{replica.Log.Id} offset {appended.LastOffset} did not reach the in-sync replicas: {error}");
        }
    }

    private async Task<ProduceResponse?> Respond(long correlationId, PartitionProduceResult[] results, Task[] durable, Activity?[]? spans, long started, string acks)
    {
        var response = new ProduceResponse { CorrelationId = correlationId };
        for (var i = 0; i < results.Length; i++)
        {
            try
            {
                await durable[i];
            }
            catch (ReplicationFailedException e)
            {
                results[i] = Failed(results[i].Topic, results[i].Partition, e.Error, e.Message);
            }
            catch (IOException e)
            {
                // The batch is in the log but its fsync failed: the client must not count it as durable.
                NodeLog.FsyncFailed(logger, e, results[i].Topic, results[i].Partition);
                results[i] = Failed(results[i].Topic, results[i].Partition, ErrorCode.StorageError, $"fsync failed: {e.Message}");
            }
            NodeTracing.Stop(spans?[i], results[i]);
            response.Results.Add(results[i]);
        }
        metrics.ProduceCompleted(started, acks);
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

/// <summary>An acks=all append that did not reach the ISR in time, or whose wait ended with an error.</summary>
internal sealed class ReplicationFailedException(ErrorCode error, string message) : Exception(message)
{
    public ErrorCode Error { get; } = error;
}
