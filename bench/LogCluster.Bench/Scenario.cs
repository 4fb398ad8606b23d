namespace LogCluster.Bench;

/// <summary>One load shape: every stream keeps <see cref="InFlight"/> requests of one batch each outstanding.</summary>
internal sealed record Scenario(
    string Name,
    int RecordBytes,
    int RecordsPerBatch,
    int InFlight,
    int Streams,
    bool Fsync)
{
    public const int Partitions = 4;

    public static readonly Scenario[] All =
    [
        new("async 1 KiB records, 64 KiB batches, 8 in flight", 1024, 64, 8, 1, Fsync: false),
        new("async 100 B records, 1000-record batches, 8 in flight", 100, 1000, 8, 1, Fsync: false),
        new("sync 100 B records, 1 per request, 1 in flight", 100, 1, 1, 1, Fsync: false),
        new("sync 1 KiB records, 1 per request, 1 in flight", 1024, 1, 1, 1, Fsync: false),
        new("sync 1 KiB records, 1 per request, 64 streams", 1024, 1, 1, 64, Fsync: false),
        new("fsync async 1 KiB records, 64 KiB batches, 8 in flight", 1024, 64, 8, 1, Fsync: true),
        new("fsync sync 1 KiB records, 1 per request, 1 in flight", 1024, 1, 1, 1, Fsync: true),
        new("fsync sync 1 KiB records, 1 per request, 64 streams", 1024, 1, 1, 64, Fsync: true),
    ];

    /// <summary>The same shape without fsync: what an fsync scenario is compared with.</summary>
    public Scenario WithoutFsync => All.Single(s => !s.Fsync && s with { Name = "", Fsync = false } == this with { Name = "", Fsync = false });
}

/// <summary>What one run measured.</summary>
internal sealed record RunResult(double RecordsPerSecond, double MegabytesPerSecond, double P50Micros, double P99Micros);
