using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LogCluster.Tests.Integration.Faults;

/// <summary>
/// A TCP proxy on 127.0.0.1 that injects the transport faults a real network produces (resets, requests cut short,
/// responses that never arrive, delays) between a client and an upstream server, for integration tests.
/// </summary>
/// <remarks>
/// Connection i (in accept order, from 0) draws every decision from <see cref="FaultDecisions.For"/>(seed, i, plan), so
/// the decision made for its n-th chunk in each direction is reproducible from the seed. Timing is not: how the peers'
/// bytes are split into chunks, and the order connections are accepted in, vary between runs, so a replay makes the same
/// choices but not necessarily at the same bytes. Put <see cref="Describe"/> in assertion messages to replay a failure.
/// </remarks>
internal sealed class FaultInjectingProxy : IAsyncDisposable
{
    // An upstream on loopback answers or refuses at once; this only bounds a connect to a listener with a full backlog.
    private static readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<ProxyConnection, byte> _open = new();
    private readonly ConcurrentDictionary<Task, byte> _handlers = new();
    private readonly Task _acceptLoop;
    private int _lastIndex = -1;
    private int _disposed;
    private volatile int _upstreamPort;
    private volatile bool _faultsEnabled = true;

    private FaultInjectingProxy(int seed, FaultPlan plan)
    {
        Seed = seed;
        Plan = plan;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
    }

    /// <summary>Listens on 127.0.0.1 on a free port, with faults enabled; set <see cref="UpstreamPort"/> before use.</summary>
    public static FaultInjectingProxy Start(int seed, FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Validate();
        return new FaultInjectingProxy(seed, plan);
    }

    /// <summary>Where clients connect.</summary>
    public int Port { get; }

    /// <summary>
    /// The real server's port on 127.0.0.1, read as each connection is accepted, so it may be set (or changed) after
    /// <see cref="Start"/>. A connection accepted while it is 0, or refused by the upstream, is reset and counted as refused.
    /// </summary>
    public int UpstreamPort
    {
        get => _upstreamPort;
        set => _upstreamPort = value;
    }

    /// <summary>
    /// False forwards faithfully (warm-up, read-back); true by default so that a test cannot forget to turn faults on.
    /// Connections already black-holed stay so; call <see cref="DropAll"/> to get clean connections.
    /// </summary>
    public bool FaultsEnabled
    {
        get => _faultsEnabled;
        set => _faultsEnabled = value;
    }

    public int Seed { get; }

    public FaultPlan Plan { get; }

    public FaultCounts Counts { get; } = new();

    /// <summary>One line for assertion messages: enough to replay the run and to see which faults actually happened.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"FaultInjectingProxy seed={Seed} port={Port} upstream={UpstreamPort} faults={(FaultsEnabled ? "on" : "off")} plan=[{Plan}] counts=[{Counts}]");

    /// <summary>Resets every open connection now, so a test can force the client to reconnect.</summary>
    public void DropAll()
    {
        foreach (var connection in _open.Keys)
        {
            if (connection.Reset())
            {
                Counts.OnForcedDrop();
            }
        }
    }

    /// <summary>Stops listening, resets every connection and waits for all pumps; cancellation keeps it from hanging.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        // No new handlers after the accept loop; one registering its connection now sees the cancelled token and ends.
        foreach (var connection in _open.Keys)
        {
            connection.Reset();
        }
        await Task.WhenAll(_handlers.Keys);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken token)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!token.IsCancellationRequested)
            {
                // A client that reset before we accepted it; the listener itself is fine.
                continue;
            }
            catch (SocketException)
            {
                return;
            }
            Counts.OnConnection();
            Track(HandleAsync(client, Interlocked.Increment(ref _lastIndex), token));
        }
    }

    private void Track(Task handler)
    {
        // Add before the removal can run, so a handler that has already finished does not linger in the set.
        _handlers.TryAdd(handler, 0);
        handler.ContinueWith(
            static (done, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(done, out _),
            _handlers,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task HandleAsync(Socket client, int index, CancellationToken token)
    {
        var port = UpstreamPort;
        var server = port == 0 ? null : await TryConnectAsync(port, token);
        if (server is null)
        {
            Counts.OnRefused();
            ProxyConnection.Abort(client);
            return;
        }
        try
        {
            client.NoDelay = true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client already went away; its pump will see that at once.
        }

        var connection = new ProxyConnection(client, server, FaultDecisions.For(Seed, index, Plan));
        _open.TryAdd(connection, 0);
        try
        {
            if (token.IsCancellationRequested)
            {
                connection.Reset();
            }
            await connection.RunAsync(this, token);
        }
        finally
        {
            _open.TryRemove(connection, out _);
        }
    }

    private static async Task<Socket?> TryConnectAsync(int port, CancellationToken token)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_connectTimeout);
            await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
            return server;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            server.Dispose();
            return null;
        }
    }
}
