using System.Net.Sockets;

namespace LogCluster.Tests.Integration.Faults;

/// <summary>One proxied connection: the accepted client socket, its upstream socket, and the two pumps between them.</summary>
internal sealed class ProxyConnection
{
    // One read's worth: large enough that a gRPC frame usually travels as one chunk, so fault rates stay per request-ish.
    private const int ChunkSize = 64 * 1024;

    private readonly Socket _client;
    private readonly Socket _server;
    private readonly FaultDecisions _decisions;
    private int _closed;
    private volatile bool _blackholed;

    public ProxyConnection(Socket client, Socket server, FaultDecisions decisions)
    {
        _client = client;
        _server = server;
        _decisions = decisions;
    }

    /// <summary>Pumps both directions until both peers have closed or either side has been reset; never throws for I/O.</summary>
    public async Task RunAsync(FaultInjectingProxy owner, CancellationToken token)
    {
        await Task.WhenAll(
            PumpAsync(FaultDirection.ClientToServer, owner, token),
            PumpAsync(FaultDirection.ServerToClient, owner, token));
        Close(abortive: false);
    }

    /// <summary>Sends RST to both peers now; false if the connection was already closed.</summary>
    public bool Reset() => Close(abortive: true);

    /// <summary>Closes a socket with RST rather than FIN, as a crashed peer or middlebox would.</summary>
    public static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already dead: disposing it is all that is left to do.
        }
        socket.Dispose();
    }

    private bool Close(bool abortive)
    {
        // The pumps, DropAll and dispose may all race to close; only the first one acts.
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }
        if (abortive)
        {
            Abort(_client);
            Abort(_server);
        }
        else
        {
            _client.Dispose();
            _server.Dispose();
        }
        return true;
    }

    private async Task PumpAsync(FaultDirection direction, FaultInjectingProxy owner, CancellationToken token)
    {
        var (source, destination) = direction == FaultDirection.ClientToServer ? (_client, _server) : (_server, _client);
        var swallowing = direction == FaultDirection.ServerToClient;
        var buffer = new byte[ChunkSize];
        try
        {
            while (true)
            {
                var read = await source.ReceiveAsync(buffer, SocketFlags.None, token);
                if (read == 0)
                {
                    // Pass the peer's FIN on, except through a black hole, which delivers nothing, not even the close.
                    if (!(swallowing && _blackholed))
                    {
                        destination.Shutdown(SocketShutdown.Send);
                    }
                    return;
                }

                // Drawn even with faults off, so chunk n of connection i gets the same decision whenever faults are on.
                var decision = _decisions.Next(direction);
                var forward = read;
                if (owner.FaultsEnabled)
                {
                    if (decision.Kind == FaultKind.Drop)
                    {
                        // Count before acting: a test that sees the reset must also see the count.
                        owner.Counts.OnDropped();
                        Reset();
                        return;
                    }
                    if (decision.Delay is { } delay)
                    {
                        owner.Counts.OnDelayed();
                        await Task.Delay(delay, token);
                    }
                    if (decision.Kind == FaultKind.Cut)
                    {
                        forward = (int)(decision.CutFraction * read);
                    }
                    else if (decision.Kind == FaultKind.Blackhole && !_blackholed)
                    {
                        owner.Counts.OnBlackholed();
                        _blackholed = true;
                    }
                }

                // A black hole stays one after faults are turned off: the client must still time out on this connection.
                if (!(swallowing && _blackholed))
                {
                    await SendAllAsync(destination, buffer.AsMemory(0, forward), token);
                    owner.Counts.OnForwarded(direction, forward);
                }
                if (forward < read)
                {
                    owner.Counts.OnCut();
                    Reset();
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // The other peer reset, a fault or DropAll closed the sockets, or the proxy is stopping. Either way the other
            // half of the connection is done too: a real network loses both directions together.
            Reset();
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        // Socket.SendAsync may send part of the buffer; the peer must see every byte we decided to forward.
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, token);
            data = data[sent..];
        }
    }
}
