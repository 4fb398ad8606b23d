using System.Net;
using System.Net.Sockets;

namespace LogCluster.Tests.Integration.Faults;

/// <summary>The fault-injecting proxy against an in-test echo server: faithful when off, each fault when forced, seeded.</summary>
public sealed class FaultInjectingProxyTests
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task FaultsDisabled_OneMebibyte_RoundTripsUnchanged()
    {
        await using var echo = new TcpEchoServer();
        await using var proxy = FaultInjectingProxy.Start(seed: 1, FaultPlan.Moderate);
        proxy.UpstreamPort = echo.Port;
        proxy.FaultsEnabled = false;
        var sent = new byte[1024 * 1024];
        new Random(7).NextBytes(sent);
        using var client = await ConnectAsync(proxy.Port);

        // Write and read at once: the echo stalls if nobody drains it while a mebibyte is in flight.
        var writing = WriteAllAsync(client, sent);
        var received = await ReadExactlyAsync(client, sent.Length).WaitAsync(_timeout);
        await writing.WaitAsync(_timeout);

        Assert.True(sent.AsSpan().SequenceEqual(received), proxy.Describe());
        Assert.Equal((sent.Length, sent.Length), (proxy.Counts.BytesUp, proxy.Counts.BytesDown));
        Assert.Equal(0, proxy.Counts.Dropped + proxy.Counts.Cut + proxy.Counts.Blackholed + proxy.Counts.Delayed);
    }

    [Fact]
    public async Task DropEveryChunk_ClientSeesConnectionClosed()
    {
        await using var echo = new TcpEchoServer();
        await using var proxy = FaultInjectingProxy.Start(seed: 2, new FaultPlan(1, 0, 0, 0, TimeSpan.Zero));
        proxy.UpstreamPort = echo.Port;
        using var client = await ConnectAsync(proxy.Port);

        await WriteAllAsync(client, [1, 2, 3]).WaitAsync(_timeout);
        var received = await ReadUntilClosedAsync(client).WaitAsync(_timeout);

        Assert.Equal(0, received);
        Assert.True(proxy.Counts.Dropped >= 1, proxy.Describe());
        Assert.Equal(0, proxy.Counts.BytesUp);
    }

    [Fact]
    public async Task BlackholeEveryChunk_WritesSucceedButNothingComesBack()
    {
        await using var echo = new TcpEchoServer();
        await using var proxy = FaultInjectingProxy.Start(seed: 3, new FaultPlan(0, 0, 1, 0, TimeSpan.Zero));
        proxy.UpstreamPort = echo.Port;
        using var client = await ConnectAsync(proxy.Port);

        await WriteAllAsync(client, [1, 2, 3]).WaitAsync(_timeout);
        using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await client.ReceiveAsync(new byte[16], SocketFlags.None, wait.Token)).WaitAsync(_timeout);
        await WriteAllAsync(client, [4, 5]).WaitAsync(_timeout);

        Assert.True(proxy.Counts.Blackholed >= 1, proxy.Describe());
        Assert.Equal(0, proxy.Counts.BytesDown);
    }

    [Fact]
    public void Decisions_SameSeedSameSequence_OtherSeedDiffers()
    {
        var plan = new FaultPlan(0.1, 0.1, 0.1, 0.3, TimeSpan.FromMilliseconds(50));

        var first = Take(FaultDecisions.For(42, 5, plan));
        var again = Take(FaultDecisions.For(42, 5, plan));
        var otherSeed = Take(FaultDecisions.For(43, 5, plan));
        var otherConnection = Take(FaultDecisions.For(42, 6, plan));

        Assert.Equal(first, again);
        Assert.NotEqual(first, otherSeed);
        Assert.NotEqual(first, otherConnection);
        Assert.Contains(first, d => d.Kind == FaultKind.Cut);
        Assert.Contains(first, d => d.Kind == FaultKind.Blackhole);
        Assert.Contains(first, d => d.Kind == FaultKind.Drop);

        static FaultDecision[] Take(FaultDecisions decisions) =>
            [.. Enumerable.Range(0, 1000).Select(i => decisions.Next(i % 2 == 0 ? FaultDirection.ClientToServer : FaultDirection.ServerToClient))];
    }

    [Fact]
    public async Task UpstreamPortUnset_ConnectionClosedAndCountedRefused()
    {
        await using var proxy = FaultInjectingProxy.Start(seed: 5, FaultPlan.None);

        var received = await ConnectThenReadUntilClosedAsync(proxy.Port).WaitAsync(_timeout);

        Assert.Equal(0, received);
        Assert.Equal((1, 1), (proxy.Counts.Connections, proxy.Counts.Refused));
    }

    [Fact]
    public async Task UpstreamRefuses_ConnectionClosedAndCountedRefused()
    {
        await using var proxy = FaultInjectingProxy.Start(seed: 6, FaultPlan.None);
        proxy.UpstreamPort = UnusedPort();

        var received = await ConnectThenReadUntilClosedAsync(proxy.Port).WaitAsync(_timeout);

        Assert.Equal(0, received);
        Assert.Equal(1, proxy.Counts.Refused);
    }

    [Fact]
    public async Task DropAll_OpenConnectionReset_DisposeDoesNotHang()
    {
        await using var echo = new TcpEchoServer();
        var proxy = FaultInjectingProxy.Start(seed: 7, FaultPlan.None);
        proxy.UpstreamPort = echo.Port;
        using var dropped = await ConnectAsync(proxy.Port);
        using var idle = await ConnectAsync(proxy.Port);
        await WriteAllAsync(dropped, [9]).WaitAsync(_timeout);
        Assert.Single(await ReadExactlyAsync(dropped, 1).WaitAsync(_timeout));

        proxy.DropAll();
        var received = await ReadUntilClosedAsync(dropped).WaitAsync(_timeout);
        await proxy.DisposeAsync().AsTask().WaitAsync(_timeout);

        Assert.Equal(0, received);
        Assert.True(proxy.Counts.ForcedDrops >= 1, proxy.Describe());
        Assert.Contains("seed=7 ", proxy.Describe(), StringComparison.Ordinal);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(_timeout);
        return socket;
    }

    /// <summary>Like <see cref="ReadUntilClosedAsync"/>, but the reset may already beat the client's connect completing.</summary>
    private static async Task<int> ConnectThenReadUntilClosedAsync(int port)
    {
        Socket client;
        try
        {
            client = await ConnectAsync(port);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
        {
            return 0;
        }
        using (client)
        {
            return await ReadUntilClosedAsync(client);
        }
    }

    private static int UnusedPort()
    {
        // Bound then closed: nothing listens there for the moment the test needs.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task WriteAllAsync(Socket socket, byte[] data)
    {
        for (var sent = 0; sent < data.Length;)
        {
            sent += await socket.SendAsync(data.AsMemory(sent), SocketFlags.None);
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int length)
    {
        var buffer = new byte[length];
        for (var read = 0; read < length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            Assert.True(n > 0, "connection closed early");
            read += n;
        }
        return buffer;
    }

    /// <summary>Bytes received before the connection ended, by FIN (0 bytes read) or by RST (ConnectionReset).</summary>
    private static async Task<int> ReadUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[1024];
        var total = 0;
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                total += n;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            // A reset is what a dropped connection looks like to a client.
        }
        return total;
    }
}
