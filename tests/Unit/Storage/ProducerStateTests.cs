using LogCluster.LogNode.Storage;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>Idempotent producers on one partition: duplicates answered with the original offsets, gaps and old epochs refused.</summary>
public sealed class ProducerStateTests
{
    private const long Producer = 7;

    [Fact]
    public void Append_RetriedDuplicate_AnsweredWithTheOriginalOffsetsAndNotWrittenAgain()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 0));
        var second = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3));

        var retry = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3));

        Assert.Equal((second.BaseOffset, second.LastOffset), (retry.BaseOffset, retry.LastOffset));
        Assert.Equal(6, harness.Log.LogEndOffset);
        Assert.Equal(2, harness.ReadAll().Count);
    }

    [Fact]
    public void Append_SequenceGap_RefusedAsOutOfOrderAndNothingWritten()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 0));

        var error = Assert.Throws<AppendRejectedException>(() => harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 4)));

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, error.Error);
        Assert.Equal(3, harness.Log.LogEndOffset);
    }

    [Fact]
    public void Append_OlderEpoch_RefusedAsInvalidProducerEpoch()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.MakeIdempotent(Producer, 2, baseSequence: 0));

        var error = Assert.Throws<AppendRejectedException>(() => harness.Append(TestBatches.MakeIdempotent(Producer, 1, baseSequence: 3)));

        Assert.Equal(ErrorCode.InvalidProducerEpoch, error.Error);
    }

    [Fact]
    public void Append_NewEpoch_StartsAgainAtSequenceZeroOnly()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 0));

        Assert.Throws<AppendRejectedException>(() => harness.Append(TestBatches.MakeIdempotent(Producer, 1, baseSequence: 3)));
        var bumped = harness.Append(TestBatches.MakeIdempotent(Producer, 1, baseSequence: 0));

        Assert.Equal(3, bumped.BaseOffset);
    }

    [Fact]
    public void Append_DuplicateOlderThanTheLastFiveBatches_NoLongerRecognised()
    {
        using var harness = new PartitionLogHarness();
        for (var batch = 0; batch < 6; batch++)
        {
            harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: batch * 3));
        }

        // Batch 0 fell out of the five retained: its retry is a gap, as in Kafka (why max.in.flight <= 5).
        var error = Assert.Throws<AppendRejectedException>(() => harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 0)));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, error.Error);
        Assert.Equal(12, harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 12)).BaseOffset);
    }

    [Fact]
    public void Reopen_AfterARestart_ARetryOfAnAcknowledgedBatchIsStillADuplicate()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024 });
        long lastBase = 0;
        for (var batch = 0; batch < 20; batch++)
        {
            lastBase = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: batch * 3)).BaseOffset;
        }
        Assert.True(harness.Log.SegmentCount > 1);

        harness.Reopen();
        var retry = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 19 * 3));

        Assert.Equal(lastBase, retry.BaseOffset);
        Assert.Equal(60, harness.Log.LogEndOffset);
        Assert.Throws<AppendRejectedException>(() => harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 63)));
    }

    [Fact]
    public void ExpireProducers_IdleLongerThanTheExpiration_ForgottenSoAnySequenceStartsAgain()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 0));
        var nowMs = harness.Time.GetUtcNow().ToUnixTimeMilliseconds();

        Assert.Equal(0, harness.Log.ExpireProducers(nowMs + 1_000, expirationMs: 1_000));
        Assert.Equal(1, harness.Log.ExpireProducers(nowMs + 1_001, expirationMs: 1_000));

        Assert.Equal(0, harness.Log.ProducerCount);
        Assert.Equal(3, harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 40)).BaseOffset);
    }

    [Fact]
    public void Append_NonIdempotentBatches_NeverChecked()
    {
        using var harness = new PartitionLogHarness();
        var batch = TestBatches.Make(1);

        harness.Append(batch);
        harness.Append(batch);

        Assert.Equal(6, harness.Log.LogEndOffset);
        Assert.Equal(0, harness.Log.ProducerCount);
    }
}
