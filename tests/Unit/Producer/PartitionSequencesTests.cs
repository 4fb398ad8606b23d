using LogCluster.Producer.Internals;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Producer;

/// <summary>
/// The idempotent producer's per-partition sequence rules, driven as the sender and the delivery flow drive them:
/// assign at first drain, keep on retry, one retry at a time, and a new epoch only when nothing can be written twice.
/// </summary>
public sealed class PartitionSequencesTests
{
    private static readonly ProducerIdAndEpoch _epoch0 = new(7, 0);
    private static readonly ProducerIdAndEpoch _epoch1 = new(7, 1);
    private readonly FakeTimeProvider _time = new();
    private readonly PartitionSequences _sequences = new();
    private long _created;

    private ProducerBatch NewBatch(int records = 1)
    {
        var batch = new ProducerBatch(new PartitionKey("t", 0), _created++, CompressionType.None, 16_384, _time, new System.Buffers.ArrayBufferWriter<byte>());
        for (var i = 0; i < records; i++)
        {
            batch.TryAppend(new PendingRecord(null, [(byte)i], [], 0, 32, callback: null), _time.GetTimestamp() + _time.TimestampFrequency * 60);
        }
        return batch;
    }

    /// <summary>As the sender: assign for the produce stream open now, then drain (encode and mark in flight).</summary>
    private bool Send(ProducerBatch batch, ProducerIdAndEpoch? current = null, long stream = 1)
    {
        if (!_sequences.TryAssign(batch, current ?? _epoch0, stream))
        {
            return false;
        }
        batch.Drain();
        return true;
    }

    private static BatchProducer Written(ProducerBatch batch) => RecordBatchHeader.Read(batch.Bytes.Span).Producer;

    /// <summary>A one-record batch at sequence 0, acknowledged: from here on the node refuses any sequence but the next.</summary>
    private void FirstBatchAcknowledged()
    {
        var first = NewBatch();
        Assert.True(Send(first));
        _sequences.OnSettled(first, succeeded: true);
    }

    [Fact]
    public void TryAssign_FreshBatches_GetConsecutiveSequencesByRecordCount()
    {
        FirstBatchAcknowledged();
        var (a, b, c) = (NewBatch(3), NewBatch(2), NewBatch(1));

        Assert.True(Send(a) && Send(b) && Send(c));

        Assert.Equal([new(7, 0, 1), new(7, 0, 4), new(7, 0, 6)], new[] { Written(a), Written(b), Written(c) });
    }

    [Fact]
    public void TryAssign_FirstBatchOfAnEpochUnacknowledged_NothingOvertakesIt()
    {
        var (a, b) = (NewBatch(), NewBatch());
        Assert.True(Send(a));

        // A node without state for the producer would take b's sequence and then refuse a's retry.
        Assert.False(Send(b));
        _sequences.OnAttemptFailed(a, ErrorCode.NetworkException);
        _sequences.OnRequeued(a);
        Assert.True(Send(a));
        Assert.False(Send(b));
        _sequences.OnSettled(a, succeeded: true);

        Assert.True(Send(b));
        Assert.Equal([0, 1], new[] { Written(a), Written(b) }.Select(p => p.BaseSequence));
    }

    [Fact]
    public void TryAssign_NoProducerIdYet_Waits()
    {
        Assert.False(_sequences.TryAssign(NewBatch(), current: null, stream: 1));
    }

    [Fact]
    public void TryAssign_FiveUnsettled_WaitsForOneToSettle()
    {
        FirstBatchAcknowledged();
        var sent = Enumerable.Range(0, 5).Select(_ => NewBatch()).ToList();
        Assert.All(sent, b => Assert.True(Send(b)));
        var sixth = NewBatch();

        Assert.False(Send(sixth));
        _sequences.OnSettled(sent[0], succeeded: true);
        Assert.True(Send(sixth));
        Assert.Equal(6, Written(sixth).BaseSequence);
    }

    [Fact]
    public void TryAssign_AfterAFailedAttempt_RetriesGoOneAtATimeOldestFirstAndNewBatchesWait()
    {
        FirstBatchAcknowledged();
        var (a, b, c) = (NewBatch(), NewBatch(), NewBatch());
        Assert.True(Send(a) && Send(b));
        _sequences.OnAttemptFailed(a, ErrorCode.NetworkException);
        _sequences.OnAttemptFailed(b, ErrorCode.NetworkException);

        Assert.False(Send(c));
        _sequences.OnRequeued(b);
        Assert.False(Send(b));
        _sequences.OnRequeued(a);
        Assert.True(Send(a));
        Assert.False(Send(b));
        Assert.False(Send(c));
        _sequences.OnSettled(a, succeeded: true);
        Assert.True(Send(b));
        // Every retry is out again: a new batch may follow it on the stream, in order.
        Assert.True(Send(c));

        Assert.Equal([1, 2, 3], new[] { Written(a), Written(b), Written(c) }.Select(p => p.BaseSequence));
    }

    [Fact]
    public void TryAssign_UnsettledBatchOnAnotherStream_NewBatchWaitsUntilItSettles()
    {
        FirstBatchAcknowledged();
        var (a, b) = (NewBatch(), NewBatch());
        Assert.True(Send(a, stream: 1));

        // Stream 1 broke and a's failure is not handled yet: on stream 2, b could reach the node before a's retry.
        Assert.False(Send(b, stream: 2));
        _sequences.OnSettled(a, succeeded: true);

        Assert.True(Send(b, stream: 2));
    }

    [Fact]
    public void TryCloseGap_OldestRefusedByNotLeaderAfterAnUnansweredAttempt_KeepsItsFields()
    {
        FirstBatchAcknowledged();
        var (a, b) = (NewBatch(), NewBatch());
        Assert.True(Send(a) && Send(b));
        _sequences.OnSettled(a, succeeded: false);
        _sequences.OnAttemptFailed(b, ErrorCode.NetworkException);
        _sequences.OnRequeued(b);
        Assert.True(Send(b, stream: 2));

        // The first attempt may have written b; a refusal of the second says nothing about the first.
        _sequences.OnAttemptFailed(b, ErrorCode.NotLeaderOrFollower);

        Assert.True(b.MayBeWritten);
        Assert.False(_sequences.TryCloseGap(out _));
        _sequences.OnRequeued(b);
        Assert.True(Send(b, stream: 3));
        _sequences.OnAttemptFailed(b, ErrorCode.OutOfOrderSequenceNumber);
        Assert.True(_sequences.TryCloseGap(out _));
    }

    [Fact]
    public void OnSettled_FailedBatchThenLaterSuccess_ClosesTheGapWithoutANewEpoch()
    {
        FirstBatchAcknowledged();
        var (a, b, c) = (NewBatch(), NewBatch(), NewBatch());
        Assert.True(Send(a) && Send(b));

        _sequences.OnSettled(a, succeeded: false);
        Assert.False(Send(c));
        _sequences.OnSettled(b, succeeded: true);

        Assert.False(_sequences.TryCloseGap(out _));
        Assert.True(Send(c));
        Assert.Equal(new BatchProducer(7, 0, 3), Written(c));
    }

    [Fact]
    public void TryCloseGap_LaterBatchRefused_RestartsItAtSequenceZeroUnderTheNewEpoch()
    {
        FirstBatchAcknowledged();
        var (a, b, c) = (NewBatch(2), NewBatch(), NewBatch());
        Assert.True(Send(a) && Send(b));
        _sequences.OnSettled(a, succeeded: false);
        Assert.False(_sequences.TryCloseGap(out _));

        _sequences.OnAttemptFailed(b, ErrorCode.OutOfOrderSequenceNumber);
        Assert.True(_sequences.TryCloseGap(out var abandoned));

        Assert.Equal(_epoch0, abandoned);
        _sequences.OnRequeued(b);
        Assert.False(Send(b, _epoch0));
        Assert.True(Send(b, _epoch1));
        // The new epoch's first batch goes alone until acknowledged.
        Assert.False(Send(c, _epoch1));
        _sequences.OnSettled(b, succeeded: true);
        Assert.True(Send(c, _epoch1));
        Assert.Equal([new(7, 1, 0), new(7, 1, 1)], new[] { Written(b), Written(c) });
    }

    [Fact]
    public void TryCloseGap_OldestMayBeWritten_KeepsItsFieldsAndResendsIt()
    {
        FirstBatchAcknowledged();
        var (a, b) = (NewBatch(), NewBatch());
        Assert.True(Send(a) && Send(b));
        _sequences.OnSettled(a, succeeded: false);
        _sequences.OnAttemptFailed(b, ErrorCode.NetworkException);
        _sequences.OnRequeued(b);

        Assert.False(_sequences.TryCloseGap(out _));
        Assert.True(Send(b, _epoch1));

        Assert.Equal(new BatchProducer(7, 0, 2), Written(b));
    }

    [Fact]
    public void TryCloseGap_WhileALaterBatchIsInFlight_Waits()
    {
        FirstBatchAcknowledged();
        var (a, b) = (NewBatch(), NewBatch());
        Assert.True(Send(a) && Send(b));
        _sequences.OnAttemptFailed(a, ErrorCode.OutOfOrderSequenceNumber);
        _sequences.OnSettled(a, succeeded: false);

        Assert.False(_sequences.TryCloseGap(out _));
        _sequences.OnAttemptFailed(b, ErrorCode.OutOfOrderSequenceNumber);
        Assert.True(_sequences.TryCloseGap(out _));
    }

    [Fact]
    public void OnAttemptFailed_OldestRefusedAfterEverythingBeforeSucceeded_CountsAsAGap()
    {
        var (a, b) = (NewBatch(), NewBatch());
        Assert.True(Send(a));
        _sequences.OnSettled(a, succeeded: true);
        Assert.True(Send(b));

        // The node lost what it acknowledged (a crash without fsync): retrying the same sequence cannot succeed.
        _sequences.OnAttemptFailed(b, ErrorCode.OutOfOrderSequenceNumber);

        Assert.True(_sequences.TryCloseGap(out var abandoned));
        Assert.Equal(_epoch0, abandoned);
    }

    [Fact]
    public void TryAssign_NewEpochFromAnotherPartition_WaitsForOldBatchesThenStartsAtZero()
    {
        var (a, b) = (NewBatch(), NewBatch());
        Assert.True(Send(a));

        Assert.False(Send(b, _epoch1));
        _sequences.OnSettled(a, succeeded: true);
        Assert.True(Send(b, _epoch1));

        Assert.Equal(new BatchProducer(7, 1, 0), Written(b));
    }

    [Theory]
    [InlineData(0, 3, 3)]
    [InlineData(int.MaxValue - 2, 2, int.MaxValue)]
    [InlineData(int.MaxValue - 2, 3, 0)]
    [InlineData(int.MaxValue, 5, 4)]
    public void After_PassingIntMaxValue_WrapsToZeroAsTheNodeCounts(int sequence, int records, int next)
    {
        Assert.Equal(next, PartitionSequences.After(sequence, records));
    }
}
