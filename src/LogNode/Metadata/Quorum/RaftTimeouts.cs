namespace LogCluster.LogNode.Metadata.Quorum;

/// <summary>
/// The Raft timing of the metadata quorum. A follower that hears no leader for a random time between
/// <see cref="LowerElectionTimeout"/> and <see cref="UpperElectionTimeout"/> starts an election; the leader sends
/// heartbeats every half <see cref="LowerElectionTimeout"/>. One request to a peer may take
/// <see cref="RequestTimeout"/>, and opening a connection <see cref="ConnectTimeout"/>; the library wants
/// ConnectTimeout &lt; RequestTimeout &lt; LowerElectionTimeout, so a slow peer never holds a leader past an election.
/// </summary>
internal sealed record RaftTimeouts
{
    /// <summary>
    /// 300-600 ms elections (docs/architecture.md: about 0.5 s median failover measured on loopback, and few
    /// spurious elections on a loaded 2-core machine, where 150-300 ms gave some).
    /// </summary>
    public static readonly RaftTimeouts Default = FromElectionTimeout(TimeSpan.FromMilliseconds(300));

    /// <summary>
    /// Timeouts derived from the lower election timeout, in the proportions of <see cref="Default"/>: elections
    /// between it and twice it, requests 5/6 of it, connects 1/3 of it (300 ms gives 300-600, 250 and 100 ms).
    /// </summary>
    public static RaftTimeouts FromElectionTimeout(TimeSpan lowerElectionTimeout) => new(
        lowerElectionTimeout,
        upperElectionTimeout: 2 * lowerElectionTimeout,
        requestTimeout: lowerElectionTimeout * 5 / 6,
        connectTimeout: lowerElectionTimeout / 3);

    public RaftTimeouts(TimeSpan lowerElectionTimeout, TimeSpan upperElectionTimeout, TimeSpan requestTimeout, TimeSpan connectTimeout)
    {
        if (connectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(connectTimeout), connectTimeout, "The connect timeout must be positive.");
        }
        if (requestTimeout <= connectTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(requestTimeout), requestTimeout, $"The request timeout must be longer than the connect timeout ({connectTimeout.TotalMilliseconds} ms).");
        }
        if (lowerElectionTimeout <= requestTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(lowerElectionTimeout), lowerElectionTimeout, $"The lower election timeout must be longer than the request timeout ({requestTimeout.TotalMilliseconds} ms).");
        }
        if (upperElectionTimeout <= lowerElectionTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(upperElectionTimeout), upperElectionTimeout, $"The upper election timeout must be longer than the lower one ({lowerElectionTimeout.TotalMilliseconds} ms).");
        }
        if (upperElectionTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(upperElectionTimeout), upperElectionTimeout, "The election timeout is too long.");
        }
        LowerElectionTimeout = lowerElectionTimeout;
        UpperElectionTimeout = upperElectionTimeout;
        RequestTimeout = requestTimeout;
        ConnectTimeout = connectTimeout;
    }

    public TimeSpan LowerElectionTimeout { get; }

    public TimeSpan UpperElectionTimeout { get; }

    public TimeSpan RequestTimeout { get; }

    public TimeSpan ConnectTimeout { get; }
}
