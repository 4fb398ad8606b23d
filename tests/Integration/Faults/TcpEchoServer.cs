using System.Net;
using System.Net.Sockets;

namespace LogCluster.Tests.Integration.Faults;

/// <summary>An upstream for the proxy tests: echoes every byte back on 127.0.0.1 until the client closes.</summary>
internal sealed class TcpEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _echoes = [];
    private readonly Task _acceptLoop;

    public TcpEchoServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] echoes;
        lock (_echoes)
        {
            echoes = [.. _echoes];
        }
        await Task.WhenAll(echoes);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stopping.Token);
                lock (_echoes)
                {
                    _echoes.Add(EchoAsync(socket));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // Stopping. (An accept that completed just as the listener stopped loops into a stopped listener:
            // InvalidOperationException "Not listening".)
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        using var owned = socket;
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token)) > 0)
            {
                var sent = 0;
                while (sent < read)
                {
                    sent += await socket.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _stopping.Token);
                }
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The proxy reset us, which is what several tests are about.
        }
    }
}
