using System.Globalization;

namespace LogCluster.Tests.Integration.Faults;

/// <summary>What a <see cref="FaultInjectingProxy"/> has done so far; safe to read while the pumps update it.</summary>
internal sealed class FaultCounts
{
    private long _connections;
    private long _dropped;
    private long _forcedDrops;
    private long _cut;
    private long _blackholed;
    private long _delayed;
    private long _refused;
    private long _bytesUp;
    private long _bytesDown;

    /// <summary>Client connections accepted, including refused ones.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Connections reset by <see cref="FaultPlan.DropConnectionPerChunk"/>.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Connections reset by <see cref="FaultInjectingProxy.DropAll"/>; kept apart from random drops.</summary>
    public long ForcedDrops => Interlocked.Read(ref _forcedDrops);

    public long Cut => Interlocked.Read(ref _cut);

    public long Blackholed => Interlocked.Read(ref _blackholed);

    /// <summary>Chunks held back (a delay of zero counts: it was still drawn).</summary>
    public long Delayed => Interlocked.Read(ref _delayed);

    /// <summary>Client connections closed because the upstream port was unset or the upstream refused.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Bytes forwarded client to server.</summary>
    public long BytesUp => Interlocked.Read(ref _bytesUp);

    /// <summary>Bytes forwarded server to client (swallowed bytes are not counted).</summary>
    public long BytesDown => Interlocked.Read(ref _bytesDown);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"connections={Connections} dropped={Dropped} forcedDrops={ForcedDrops} cut={Cut} blackholed={Blackholed} delayed={Delayed} refused={Refused} bytesUp={BytesUp} bytesDown={BytesDown}");

    internal void OnConnection() => Interlocked.Increment(ref _connections);

    internal void OnDropped() => Interlocked.Increment(ref _dropped);

    internal void OnForcedDrop() => Interlocked.Increment(ref _forcedDrops);

    internal void OnCut() => Interlocked.Increment(ref _cut);

    internal void OnBlackholed() => Interlocked.Increment(ref _blackholed);

    internal void OnDelayed() => Interlocked.Increment(ref _delayed);

    internal void OnRefused() => Interlocked.Increment(ref _refused);

    internal void OnForwarded(FaultDirection direction, int bytes) =>
        Interlocked.Add(ref direction == FaultDirection.ClientToServer ? ref _bytesUp : ref _bytesDown, bytes);
}
