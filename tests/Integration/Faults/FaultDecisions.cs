namespace LogCluster.Tests.Integration.Faults;

/// <summary>Which way a chunk travels through the proxy.</summary>
internal enum FaultDirection
{
    ClientToServer,
    ServerToClient,
}

/// <summary>What the proxy does with one chunk, besides an optional delay.</summary>
internal enum FaultKind
{
    None,
    Drop,
    Cut,
    Blackhole,
}

/// <summary>The decision for one chunk.</summary>
/// <param name="Kind">The fault to inject, if any.</param>
/// <param name="Delay">How long to hold the chunk back first; null when it is not delayed.</param>
/// <param name="CutFraction">For <see cref="FaultKind.Cut"/>: the share in [0, 1) of the chunk forwarded before the reset.</param>
internal readonly record struct FaultDecision(FaultKind Kind, TimeSpan? Delay, double CutFraction);

/// <summary>
/// The seeded decision stream of one proxied connection. Each direction has its own generator, so the n-th decision of a
/// direction depends only on (seed, connection index, direction, n) and not on how the two pumps interleave. What is not
/// reproducible is where the peers' bytes fall into chunks and when connections are accepted, so a replay with the same
/// seed makes the same choices for the same chunk numbers, not necessarily at the same bytes of the same requests.
/// </summary>
internal sealed class FaultDecisions
{
    private readonly FaultPlan _plan;
    private readonly Random _up;
    private readonly Random _down;

    private FaultDecisions(int seed, int connectionIndex, FaultPlan plan)
    {
        _plan = plan;
        _up = new Random(Mix(seed, connectionIndex, FaultDirection.ClientToServer));
        _down = new Random(Mix(seed, connectionIndex, FaultDirection.ServerToClient));
    }

    public static FaultDecisions For(int seed, int connectionIndex, FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Validate();
        return new FaultDecisions(seed, connectionIndex, plan);
    }

    /// <summary>The decision for the next chunk in <paramref name="direction"/>; one caller per direction at a time.</summary>
    public FaultDecision Next(FaultDirection direction)
    {
        var random = direction == FaultDirection.ClientToServer ? _up : _down;
        // Always five draws, whatever the outcome, so one decision never shifts the ones after it.
        var dropRoll = random.NextDouble();
        var faultRoll = random.NextDouble();
        var cutFraction = random.NextDouble();
        var delayRoll = random.NextDouble();
        var delayShare = random.NextDouble();

        var kind = FaultKind.None;
        if (dropRoll < _plan.DropConnectionPerChunk)
        {
            kind = FaultKind.Drop;
        }
        else if (direction == FaultDirection.ClientToServer && faultRoll < _plan.CutMidRequestPerChunk)
        {
            kind = FaultKind.Cut;
        }
        else if (direction == FaultDirection.ServerToClient && faultRoll < _plan.BlackholePerChunk)
        {
            kind = FaultKind.Blackhole;
        }
        TimeSpan? delay = delayRoll < _plan.DelayPerChunk ? _plan.MaxDelay * delayShare : null;
        return new FaultDecision(kind, delay, kind == FaultKind.Cut ? cutFraction : 0);
    }

    /// <summary>
    /// SplitMix64's finalizer over (seed, index, direction): stable across processes and runtimes, unlike HashCode, and
    /// neighbouring seeds or indices still get unrelated generators (seed * 31 + i would collide for (s, 31) and (s + 1, 0)).
    /// </summary>
    private static int Mix(int seed, int connectionIndex, FaultDirection direction)
    {
        unchecked
        {
            var x = ((ulong)(uint)seed << 32) | (uint)connectionIndex;
            x += 0x9E3779B97F4A7C15UL * (1 + (ulong)direction);
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return (int)(x ^ (x >> 31));
        }
    }
}
