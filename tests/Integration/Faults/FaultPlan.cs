using System.Globalization;

namespace LogCluster.Tests.Integration.Faults;

/// <summary>
/// How often <see cref="FaultInjectingProxy"/> injects each transport fault. Every probability is drawn once per
/// forwarded chunk (one socket read of up to 64 KiB), so the rate per request depends on how the peers chunk their writes.
/// </summary>
/// <param name="DropConnectionPerChunk">Per chunk in either direction: reset both sockets (RST), as a crashed middlebox would.</param>
/// <param name="CutMidRequestPerChunk">Per client-to-server chunk: forward only a random prefix, then reset both sockets.</param>
/// <param name="BlackholePerChunk">Per server-to-client chunk: from then on swallow every server-to-client byte, so the client can only time out.</param>
/// <param name="DelayPerChunk">Per chunk in either direction: hold the chunk back before forwarding it.</param>
/// <param name="MaxDelay">A held-back chunk waits a uniform time in [0, MaxDelay].</param>
internal sealed record FaultPlan(
    double DropConnectionPerChunk,
    double CutMidRequestPerChunk,
    double BlackholePerChunk,
    double DelayPerChunk,
    TimeSpan MaxDelay)
{
    /// <summary>Forward faithfully.</summary>
    public static FaultPlan None { get; } = new(0, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Rare enough that most requests succeed, frequent enough that a few thousand requests see every fault.</summary>
    public static FaultPlan Moderate { get; } = new(0.002, 0.002, 0.001, 0.02, TimeSpan.FromMilliseconds(20));

    /// <summary>Throws for a probability outside [0, 1] (or NaN) or a negative delay, before any connection uses the plan.</summary>
    public void Validate()
    {
        CheckProbability(DropConnectionPerChunk, nameof(DropConnectionPerChunk));
        CheckProbability(CutMidRequestPerChunk, nameof(CutMidRequestPerChunk));
        CheckProbability(BlackholePerChunk, nameof(BlackholePerChunk));
        CheckProbability(DelayPerChunk, nameof(DelayPerChunk));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, TimeSpan.Zero, nameof(MaxDelay));
    }

    /// <summary>Compact, culture-independent, for failure messages.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"drop={DropConnectionPerChunk} cut={CutMidRequestPerChunk} blackhole={BlackholePerChunk} delay={DelayPerChunk}<={MaxDelay.TotalMilliseconds}ms");

    private static void CheckProbability(double value, string name)
    {
        // Written so that NaN fails too.
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "A probability must be in [0, 1].");
        }
    }
}
