using System.Net;
using System.Net.Sockets;
using LogCluster.LogNode.Cluster;
using Microsoft.Extensions.Time.Testing;

namespace LogCluster.Tests.Unit.Cluster;

/// <summary>
/// Peer names are looked up once at a time, off the callers' threads; known addresses are used while a new lookup
/// runs, and a failed lookup is held for a while instead of being repeated by every reconnect.
/// </summary>
public sealed class PeerAddressResolverTests : IDisposable
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(10);
    private static readonly IPAddress _first = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress _second = IPAddress.Parse("10.0.0.2");
    private readonly FakeTimeProvider _time = new();
    private readonly SemaphoreSlim _release = new(0);
    private int _lookups;
    private Func<IPAddress[]> _answer = () => [_first];

    private PeerAddressResolver NewResolver() => new(host =>
    {
        Interlocked.Increment(ref _lookups);
        Assert.True(_release.Wait(_timeout), "the test never released the lookup");
        return _answer();
    }, _time);

    [Fact]
    public async Task AnAddressLiteral_IsNeverLookedUp()
    {
        var resolver = NewResolver();

        var addresses = await resolver.ResolveAsync("127.0.0.1", CancellationToken.None).WaitAsync(_timeout);

        Assert.Equal([IPAddress.Loopback], addresses);
        Assert.Equal(0, _lookups);
    }

    [Fact]
    public async Task ConcurrentCallers_ShareOneLookup_AndAreNotBlockedWhileItRuns()
    {
        var resolver = NewResolver();

        var callers = Enumerable.Range(0, 8).Select(_ => resolver.ResolveAsync("node-a", CancellationToken.None)).ToList();
        Assert.All(callers, c => Assert.False(c.IsCompleted));
        _release.Release();

        foreach (var caller in callers)
        {
            Assert.Equal([_first], await caller.WaitAsync(_timeout));
        }
        Assert.Equal(1, _lookups);
    }

    [Fact]
    public async Task KnownAddresses_AreUsedWhileANewLookupRuns_ThenReplaced()
    {
        var resolver = NewResolver();
        var first = resolver.ResolveAsync("node-a", CancellationToken.None);
        _release.Release();
        await first.WaitAsync(_timeout);

        _time.Advance(PeerAddressResolver.Fresh);
        _answer = () => [_second];
        var whileLookingUp = await resolver.ResolveAsync("node-a", CancellationToken.None).WaitAsync(_timeout);
        Assert.Equal([_first], whileLookingUp);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _lookups) == 2, _timeout), "the second lookup never started");

        _release.Release();
        // Cached answers complete at once; the new addresses replace the old ones when the lookup thread stores them.
        Assert.True(SpinWait.SpinUntil(() => resolver.ResolveAsync("node-a", CancellationToken.None).Result.SequenceEqual([_second]), _timeout), "the new addresses never replaced the old");
        Assert.Equal(2, _lookups);
    }

    [Fact]
    public async Task AFailedLookup_IsHeldForAWhile_ThenTriedAgain()
    {
        var resolver = NewResolver();
        _answer = () => throw new SocketException((int)SocketError.HostNotFound);
        var failing = resolver.ResolveAsync("gone", CancellationToken.None);
        _release.Release();
        await Assert.ThrowsAsync<SocketException>(() => failing.WaitAsync(_timeout));

        await Assert.ThrowsAsync<SocketException>(() => resolver.ResolveAsync("gone", CancellationToken.None).WaitAsync(_timeout));
        Assert.Equal(1, _lookups);

        _time.Advance(PeerAddressResolver.FailureHold);
        _answer = () => [_first];
        var again = resolver.ResolveAsync("gone", CancellationToken.None);
        _release.Release();
        Assert.Equal([_first], await again.WaitAsync(_timeout));
        Assert.Equal(2, _lookups);
    }

    [Fact]
    public async Task ACallerThatGivesUp_IsReleased_AndTheLookupStillCompletesForOthers()
    {
        var resolver = NewResolver();
        using var giveUp = new CancellationTokenSource();
        var impatient = resolver.ResolveAsync("node-a", giveUp.Token);
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.WaitAsync(_timeout));

        var patient = resolver.ResolveAsync("node-a", CancellationToken.None);
        _release.Release();
        Assert.Equal([_first], await patient.WaitAsync(_timeout));
        Assert.Equal(1, _lookups);
    }

    public void Dispose() => _release.Dispose();
}
