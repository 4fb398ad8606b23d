namespace LogCluster.Consumer.Internals;

/// <summary>
/// One assigned partition, guarded by the consumer's lock. <see cref="Position"/> is the next offset the
/// application gets; <see cref="FetchOffset"/> the next the fetcher asks for, ahead of it by what is buffered.
/// A seek bumps <see cref="Generation"/>, so that records fetched for the old position are dropped.
/// </summary>
internal sealed class PartitionState(TopicPartition partition, long offset)
{
    public TopicPartition Partition { get; } = partition;

    /// <summary>The next offset to hand to the application; an <see cref="Offsets"/> value until looked up.</summary>
    public long Position { get; set; } = offset;

    /// <summary>The next offset to fetch.</summary>
    public long FetchOffset { get; set; } = offset;

    /// <summary>Changes on every seek or reset: fetched records of an older generation are stale.</summary>
    public int Generation { get; set; }

    /// <summary>A fetch or an offset lookup for it is on the way.</summary>
    public bool InFlight { get; set; }

    /// <summary>Fetched chunks waiting for the application: a partition is fetched again once none waits (one ahead).</summary>
    public int Buffered { get; set; }

    /// <summary>The high watermark the last fetch reported, or -1: lag is this minus <see cref="Position"/>.</summary>
    public long HighWatermark { get; set; } = -1;

    /// <summary>TimeProvider timestamp before which it is not fetched again (after an error).</summary>
    public long BackoffUntil { get; set; }

    /// <summary>Moves both positions, dropping whatever was fetched for the old one.</summary>
    public void Seek(long offset)
    {
        Position = offset;
        FetchOffset = offset;
        Generation++;
        Buffered = 0;
    }
}
