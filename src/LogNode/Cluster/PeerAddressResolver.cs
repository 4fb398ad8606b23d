using System.Net;
using System.Net.Sockets;

namespace LogCluster.LogNode.Cluster;

/// <summary>
/// Resolves the host names of other nodes for this node's own connections to them, without tying up the thread pool.
/// </summary>
/// <remarks>
/// On Linux .NET resolves names with a blocking getaddrinfo on a thread-pool thread, and a name that stopped resolving
/// can block it for many seconds: Docker's DNS takes 20 s to give up on a stopped container's name. Every loop that
/// reconnects to that node (heartbeats to a dead controller, follower fetchers) then holds pool threads, the pool
/// starves, and the Raft timers starve with it: the metadata quorum lost and regained its leader over and over.
/// So each name is looked up once at a time, on a thread of its own; the last addresses found keep being used while
/// a new lookup runs (a stopped node's old address fails to connect within the connect timeout, on no thread at all),
/// and a failed lookup is not repeated for <see cref="FailureHold"/>.
/// </remarks>
internal sealed class PeerAddressResolver(Func<string, IPAddress[]> lookup, TimeProvider time)
{
    /// <summary>Addresses younger than this are used without asking again.</summary>
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(10);

    /// <summary>A name that could not be resolved is not looked up again for this long.</summary>
    public static readonly TimeSpan FailureHold = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The process's resolver for every peer connection: one cache, one lookup per name at a time.</summary>
    public static PeerAddressResolver Shared { get; } = new(Dns.GetHostAddresses, TimeProvider.System);

    private sealed class Entry
    {
        public IPAddress[]? Addresses;
        public long ResolvedAt;
        public Task<IPAddress[]>? Lookup;
        public Exception? Failure;
        public long FailedAt;
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return Task.FromResult<IPAddress[]>([literal]);
        }
        Task<IPAddress[]> lookupTask;
        lock (_lock)
        {
            if (!_entries.TryGetValue(host, out var entry))
            {
                _entries[host] = entry = new Entry();
            }
            var now = time.GetTimestamp();
            if (entry.Addresses is { } known && time.GetElapsedTime(entry.ResolvedAt, now) < Fresh)
            {
                return Task.FromResult(known);
            }
            var failedLately = entry.Failure is not null && time.GetElapsedTime(entry.FailedAt, now) < FailureHold;
            if (entry.Lookup is null && !failedLately)
            {
                entry.Lookup = StartLookup(host, entry);
            }
            if (entry.Addresses is { } stale)
            {
                return Task.FromResult(stale);
            }
            if (entry.Lookup is null)
            {
                return Task.FromException<IPAddress[]>(entry.Failure!);
            }
            lookupTask = entry.Lookup;
        }
        return lookupTask.WaitAsync(cancellationToken);
    }

    private Task<IPAddress[]> StartLookup(string host, Entry entry)
    {
        var done = new TaskCompletionSource<IPAddress[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            IPAddress[]? addresses = null;
            Exception? failure = null;
            try
            {
                addresses = lookup(host);
                if (addresses.Length == 0)
                {
                    failure = new SocketException((int)SocketError.HostNotFound, $"{host} has no address");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failure = e;
            }
            lock (_lock)
            {
                entry.Lookup = null;
                if (failure is null)
                {
                    entry.Addresses = addresses;
                    entry.ResolvedAt = time.GetTimestamp();
                    entry.Failure = null;
                }
                else
                {
                    entry.Failure = failure;
                    entry.FailedAt = time.GetTimestamp();
                }
            }
            if (failure is null)
            {
                done.SetResult(addresses!);
            }
            else
            {
                done.SetException(failure);
            }
        })
        { IsBackground = true, Name = $"resolve {host}" };
        thread.Start();
        return done.Task;
    }

    /// <summary>A connection to <paramref name="endpoint"/> by the addresses this resolver knows, for SocketsHttpHandler.ConnectCallback.</summary>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
