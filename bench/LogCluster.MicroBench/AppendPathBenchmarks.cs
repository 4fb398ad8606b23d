using BenchmarkDotNet.Attributes;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;
using LogCluster.Tests;

namespace LogCluster.MicroBench;

/// <summary>
/// What the node does per produced batch, piece by piece: the CRC alone, the whole validation (CRC plus the
/// record-count walk), and the append to a real segment file in the page cache (no fsync).
/// </summary>
[MemoryDiagnoser]
public class AppendPathBenchmarks
{
    private byte[] _batch = [];
    private RecordBatchHeader _header;
    private string _directory = "";
    private PartitionLog? _log;

    /// <summary>64 KiB of 1 KiB records, and ~108 KB of 100-byte records: the end-to-end scenarios' batches.</summary>
    [Params("64x1KiB", "1000x100B")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _batch = Shape == "64x1KiB" ? TestBatches.Make(1, records: 64, valueBytes: 1024) : TestBatches.Make(1, records: 1000, valueBytes: 100);
        _header = BatchValidation.Validate(_batch).Header;
        _directory = Path.Combine(Path.GetTempPath(), "logcluster-microbench-" + Guid.NewGuid().ToString("N"));
        // Small segments so the benchmark's appends keep rolling instead of filling the disk.
        var config = TopicConfig.Default with { SegmentBytes = 64L << 20, RetentionBytes = 256L << 20 };
        _log = PartitionLog.Open(_directory, new TopicPartition("bench", 0), config, TimeProvider.System, out _);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public uint Crc() => RecordBatchHeader.ComputeCrc(_batch);

    [Benchmark]
    public bool Validate() => BatchValidation.Validate(_batch).IsValid;

    [Benchmark]
    public long Append()
    {
        var result = _log!.Append(_batch, _header);
        if (_log.SegmentCount > 4)
        {
            _log.EnforceRetention(long.MaxValue);
        }
        return result.BaseOffset;
    }
}
