using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Producer.Internals;

/// <summary>
/// An idempotent producer's sequence numbers for one partition (Kafka's TxnPartitionEntry with the rules of its
/// TransactionManager). Used only under the partition queue's lock.
/// <para>
/// A batch gets its producer id, epoch and base sequence when it is first drained, and keeps them on every
/// retry, so a node that already wrote it answers the retry with the original offsets instead of writing it
/// again. The node remembers five batches per producer, so at most five may be unsettled. Order: a new batch
/// leaves only while every unsettled one is in flight on the very stream it will take, so the node reads them
/// first (a stream that broke gets a new id, and a request collected for the old one is not written); once one
/// failed, the partition sends only its oldest unsettled batch until all retries are settled (Kafka drops to one
/// in flight the same way).
/// </para>
/// <para>
/// A gap: a stamped batch failed for good (its delivery timed out, or a node refused it), so the node may not
/// have its sequence and would refuse every later one. When the batches after it succeed, the node had it after
/// all and the gap closes. When instead the oldest unsettled batch is known to be refused, nothing after it was
/// written either; those batches lose their fields and go again, from sequence 0 under a new epoch (KIP-360).
/// A batch that may have been written is never given new fields: that is what could write it twice.
/// </para>
/// <para>
/// The first batch of an epoch goes alone, until a node acknowledged it. A node that knows nothing of a producer
/// on a partition accepts any sequence from it (Kafka does the same, so that a producer whose state expired can
/// go on, KIP-360): were the first refused and the one behind it taken, the first one's retry would be refused
/// as out of order and end up after it. Once a node acknowledged one batch, it refuses every sequence but the next.
/// </para>
/// </summary>
internal sealed class PartitionSequences
{
    private readonly LinkedList<ProducerBatch> _unsettled = new();
    private ProducerIdAndEpoch? _producer;
    private ProducerIdAndEpoch? _abandoned;
    private int _nextSequence;
    private bool _acknowledgedInEpoch;
    private long? _gapAfter;
    private int _awaitingRetry;

    /// <summary>The node keeps this many batches per producer and partition for deduplication.</summary>
    public const int MaxUnsettled = ProducerConfig.MaxInFlightWithIdempotence;

    /// <summary>
    /// Whether <paramref name="head"/>, the partition's first queued batch, may be sent now on <paramref name="stream"/>;
    /// if so it carries its fields.
    /// </summary>
    public bool TryAssign(ProducerBatch head, ProducerIdAndEpoch? current, long stream)
    {
        if (head.Producer is not null)
        {
            // A retry goes only as the oldest unsettled batch, and not when the node is known to refuse it.
            if (_unsettled.First?.Value != head || (_gapAfter.HasValue && !head.MayBeWritten))
            {
                return false;
            }
            head.Stream = stream;
            return true;
        }
        if (_awaitingRetry > 0 || _gapAfter.HasValue || _unsettled.Count >= MaxUnsettled || current is not { } producer || producer == _abandoned)
        {
            return false;
        }
        foreach (var unsettled in _unsettled)
        {
            if (!unsettled.InFlight || unsettled.Stream != stream)
            {
                // An older batch waits for its retry, or went out on a stream that broke (its failure may not be
                // handled yet) or on another node's: a new one could overtake it.
                return false;
            }
        }
        if (_producer != producer)
        {
            // A new epoch starts at sequence 0, and once a node sees it, it fences the old one: wait for the old batches.
            if (_unsettled.Count > 0)
            {
                return false;
            }
            _producer = producer;
            _nextSequence = 0;
            _acknowledgedInEpoch = false;
        }
        if (!_acknowledgedInEpoch && _unsettled.Count > 0)
        {
            // Until the node holds one batch of this epoch it would take any sequence: nothing may overtake the first.
            return false;
        }
        head.Producer = new BatchProducer(producer.ProducerId, producer.Epoch, _nextSequence);
        head.Stream = stream;
        _nextSequence = After(_nextSequence, head.Records.Count);
        _unsettled.AddLast(head);
        return true;
    }

    /// <summary>An attempt failed; Polly will retry the batch after its backoff, or give up and settle it.</summary>
    public void OnAttemptFailed(ProducerBatch batch, ErrorCode error)
    {
        batch.InFlight = false;
        if (!batch.AwaitingRetry)
        {
            batch.AwaitingRetry = true;
            _awaitingRetry++;
        }
        if (error == ErrorCode.OutOfOrderSequenceNumber)
        {
            // The node has no batch with this sequence (it would have answered a duplicate with its offsets).
            batch.OutcomeUnknown = false;
        }
        else if (LeavesOutcomeUnknown(error))
        {
            batch.OutcomeUnknown = true;
        }
        if (error == ErrorCode.OutOfOrderSequenceNumber && _unsettled.First?.Value == batch && !_gapAfter.HasValue)
        {
            // Refused although everything before it was acknowledged: the node lost acknowledged batches (a crash
            // without fsync). Nothing will fill that, so this counts as a gap just before the batch.
            _gapAfter = batch.CreationOrder - 1;
        }
    }

    /// <summary>The batch is back in its queue for its retry.</summary>
    public void OnRequeued(ProducerBatch batch)
    {
        if (batch.AwaitingRetry)
        {
            batch.AwaitingRetry = false;
            _awaitingRetry--;
        }
    }

    /// <summary>The batch has its outcome.</summary>
    public void OnSettled(ProducerBatch batch, bool succeeded)
    {
        OnRequeued(batch);
        batch.InFlight = false;
        if (batch.Producer is null || !_unsettled.Remove(batch))
        {
            return;
        }
        if (succeeded)
        {
            _acknowledgedInEpoch |= batch.Producer is { } fields && _producer == new ProducerIdAndEpoch(fields.ProducerId, fields.ProducerEpoch);
            if (_gapAfter < batch.CreationOrder)
            {
                // A later batch was accepted in sequence, so the node has the one that seemed lost.
                _gapAfter = null;
            }
        }
        else
        {
            _gapAfter = Math.Max(_gapAfter ?? long.MinValue, batch.CreationOrder);
        }
    }

    /// <summary>
    /// Resolves a gap once its outcome is certain: every unsettled batch is out of flight and the oldest is known
    /// to be refused. Those batches lose their fields; returns the epoch given up, which the producer must leave.
    /// </summary>
    public bool TryCloseGap(out ProducerIdAndEpoch? abandoned)
    {
        abandoned = null;
        if (!_gapAfter.HasValue || _unsettled.Any(b => b.InFlight))
        {
            return false;
        }
        if (_unsettled.First?.Value is { MayBeWritten: true })
        {
            return false;
        }
        foreach (var batch in _unsettled)
        {
            batch.Producer = null;
        }
        _unsettled.Clear();
        _gapAfter = null;
        abandoned = _abandoned = _producer;
        _producer = null;
        return true;
    }

    /// <summary>Node answers after which the batch may or may not be in the log; any other error means it is not.</summary>
    private static bool LeavesOutcomeUnknown(ErrorCode error) => error is ErrorCode.NetworkException or ErrorCode.RequestTimedOut
        or ErrorCode.StorageError or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.UnknownServerError or ErrorCode.LocalDestroyed;

    /// <summary>Sequences wrap from int.MaxValue to 0, as the node counts them (Kafka's DefaultRecordBatch.incrementSequence).</summary>
    internal static int After(int sequence, int records) => (int)(((long)sequence + records) % ((long)int.MaxValue + 1));
}
