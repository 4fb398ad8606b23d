using LogCluster.Client;
using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;
using Polly;
using Polly.Retry;

namespace LogCluster.Producer.Internals;

/// <summary>
/// A batch's life from creation to outcome, with retries from one Polly pipeline: exponential backoff with
/// jitter from retry.backoff.ms up to retry.backoff.max.ms, only for retriable error codes (transport failures
/// arrive as NETWORK_EXCEPTION or REQUEST_TIMED_OUT), at most <c>retries</c> times, and never past the batch's
/// deadline. Polly decides when to try again; the attempt itself is "put the batch back in its queue and wait
/// for the sender's result", so ordering stays the accumulator's business.
/// </summary>
internal sealed class DeliveryFlow
{
    private readonly ResiliencePipeline _pipeline;
    private readonly RecordAccumulator _accumulator;
    private readonly Action _wakeSender;
    private readonly Action<string> _metadataStale;

    public DeliveryFlow(ProducerConfig config, RecordAccumulator accumulator, TimeProvider time, Action wakeSender, Action<string> metadataStale)
    {
        _accumulator = accumulator;
        _wakeSender = wakeSender;
        _metadataStale = metadataStale;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (config.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                // An idempotent producer's batch refused as out of order waits for the batches before it (PartitionSequences).
                ShouldHandle = new PredicateBuilder().Handle<LogClusterException>(e =>
                    e.IsRetriable || (config.IsIdempotent && e.ErrorCode == ErrorCode.OutOfOrderSequenceNumber)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = config.RetryBackoff,
                MaxDelay = config.RetryBackoffMax,
                MaxRetryAttempts = config.Retries,
                // A batch taken off a silent leader goes to the new one at once. After a lost leader (a reset
                // connection, NOT_LEADER) the wait stays at retry.backoff.ms instead of growing: the new leader is
                // typically known within a few hundred milliseconds, and a backoff grown to a second would be the
                // slowest part of the failover (the same reasoning as Kafka's KIP-951). Null keeps the exponential backoff.
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Exception switch
                {
                    LogClusterException { RetryAtOnce: true } => TimeSpan.Zero,
                    LogClusterException { ErrorCode: ErrorCode.NetworkException or ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable or ErrorCode.FencedLeaderEpoch }
                        => config.RetryBackoff,
                    // Out of order after a leader change: the batches before it are being resent at the same moment,
                    // so it is in order again within a round trip or two; a backoff grown to a second would hold the
                    // partition's switch to the new leader for that long.
                    LogClusterException { ErrorCode: ErrorCode.OutOfOrderSequenceNumber } => config.RetryBackoff,
                    _ => null,
                }),
            });
        }
        _pipeline = builder.Build();
    }

    /// <summary>The batch's base offset once a node acknowledged it; throws its final error otherwise.</summary>
    /// <remarks>
    /// The first attempt's outcome is awaited before entering the pipeline, and every wait continues inline
    /// (<see cref="InlineAwait"/>): the batch is sent and answered on the SDK's own threads, often before this
    /// await registers (a local node answers in microseconds, and with a starved pool the appending thread is
    /// easily preempted), and a plain await then queues the rest of the delivery to the thread pool, where a sync
    /// caller's acknowledgement waits behind every queued caller. Only a retry goes through Polly's awaits.
    /// </remarks>
    public async Task<long> DeliverAsync(ProducerBatch batch)
    {
        var deadline = batch.Deadline.Token;
        var first = await batch.Attempt.Task.WaitAsync(deadline).ContinueInline();
        if (first.Error == ErrorCode.None)
        {
            return first.BaseOffset;
        }
        var attempt = 0;
        return await _pipeline.ExecuteAsync(async token =>
        {
            AttemptResult result;
            if (attempt++ == 0)
            {
                result = first;
            }
            else
            {
                batch.BeginRetry();
                _accumulator.Requeue(batch);
                _wakeSender();
                result = await batch.Attempt.Task.WaitAsync(token).ContinueInline();
            }
            if (result.Error == ErrorCode.None)
            {
                return result.BaseOffset;
            }
            _accumulator.AttemptFailed(batch, result.Error);
            // Leadership moved, or the leader's node is gone, silent or cut off from its followers (a broken connection,
            // a request timeout, too few in-sync replicas): ask the cluster again, as Kafka's client does after
            // NOT_LEADER and after a disconnect. A leader cut off from its peers answers NOT_ENOUGH_REPLICAS until the
            // controller has replaced it; asking costs one metadata request per backoff.
            if (result.Error is ErrorCode.NotLeaderOrFollower or ErrorCode.UnknownTopicOrPartition or ErrorCode.LeaderNotAvailable
                or ErrorCode.FencedLeaderEpoch or ErrorCode.NetworkException or ErrorCode.RequestTimedOut
                or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend)
            {
                _metadataStale(batch.Partition.Topic);
            }
            throw new LogClusterException(result.Error, $"{batch.Partition}: {result.Message}") { RetryAtOnce = result.RetryAtOnce };
        }, deadline).AsTask().ContinueInline();
    }
}
