using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>A partition log in a fresh temp folder, reopened at will, on a fake clock.</summary>
internal sealed class PartitionLogHarness : IDisposable
{
    public static readonly TopicPartition Id = new("events", 0);

    public PartitionLogHarness(TopicConfig? config = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "logcluster-unit-" + Guid.NewGuid().ToString("N"));
        Config = config ?? TopicConfig.Default;
        Log = Open();
    }

    public string DataDirectory { get; }

    public string PartitionDirectory => Path.Combine(DataDirectory, Id.DirectoryName);

    public TopicConfig Config { get; set; }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    public PartitionLog Log { get; private set; }

    public RecoveryReport LastRecovery { get; private set; }

    private PartitionLog Open()
    {
        var log = PartitionLog.Open(DataDirectory, Id, Config, Time, out var report);
        LastRecovery = report;
        return log;
    }

    /// <summary>Closes the log as a graceful stop would, lets <paramref name="tamper"/> touch the files, and opens it again.</summary>
    public PartitionLog Reopen(Action? tamper = null)
    {
        Log.Dispose();
        tamper?.Invoke();
        Log = Open();
        return Log;
    }

    public AppendResult Append(byte[] batch)
    {
        var validation = BatchValidation.Validate(batch);
        Assert.True(validation.IsValid, validation.Message);
        return Log.Append(batch, validation.Header);
    }

    /// <summary>Appends batches as a follower does: concatenated, exactly as the leader stored them.</summary>
    public AppendResult AppendAsFollower(params byte[][] batches) => Log.AppendAsFollower(batches.SelectMany(b => b).ToArray());

    /// <summary>
    /// Every batch from the log start to the high watermark (or, with <paramref name="upToLogEnd"/>, to the log end as
    /// a follower fetching reads), in small steps.
    /// </summary>
    public List<byte[]> ReadAll(bool upToLogEnd = false)
    {
        var batches = new List<byte[]>();
        var offset = Log.LogStartOffset;
        while (offset < (upToLogEnd ? Log.LogEndOffset : Log.HighWatermark))
        {
            var read = Log.Read(offset, maxBytes: 1, upToLogEnd);
            var split = TestBatches.Split(read.Batches);
            Assert.Single(split);
            batches.Add(split[0]);
            offset = RecordBatchHeader.Read(split[0]).NextOffset;
        }
        return batches;
    }

    public string[] SegmentFiles(string suffix) =>
        [.. Directory.GetFiles(PartitionDirectory, "*" + suffix).Select(Path.GetFileName).Order()!];

    public void Dispose()
    {
        Log.Dispose();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
