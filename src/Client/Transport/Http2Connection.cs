using System.Net.Sockets;

namespace LogCluster.Client.Transport;

/// <summary>
/// One HTTP/2 connection (cleartext, prior knowledge, as LogNode's gRPC port speaks it) to a node, run by two
/// dedicated threads and never by the thread pool: the reader thread connects, then reads frames and hands them to
/// each stream's <see cref="IHttp2StreamHandler"/>; the writer thread writes queued frames, coalescing what
/// queued meanwhile into one socket write, and waits for flow-control credit when the peer's window is spent.
/// Everything that completes on a response (a gRPC call's task, the SDK's continuations) therefore makes
/// progress while every pool thread is blocked in a synchronous send. Threads are named after the node.
/// Callers only queue: opening a stream and sending never block on the network.
/// </summary>
internal sealed partial class Http2Connection : IDisposable
{
    /// <summary>The window we give every stream (SETTINGS_INITIAL_WINDOW_SIZE) and the connection.</summary>
    private const int ReceiveWindow = 8 * 1024 * 1024;

    private readonly string _host;
    private readonly int _port;
    private readonly Socket _socket;
    // An object, not a Lock: the writer waits on it (Monitor.Wait) for queued frames and flow-control credit.
    private readonly object _lock = new();
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly Queue<WriteItem> _writes = new();

    /// <summary>Frames the reader owes the peer (SETTINGS and PING acks, WINDOW_UPDATE): written ahead of queued data.</summary>
    private readonly Queue<byte[]> _control = new();
    private readonly ITimer _connectTimeout;
    private int _nextStreamId = 1;
    private bool _connected;
    private Exception? _closedBy;
    private bool _goingAway;
    private long _connectionSendWindow = Http2Frames.DefaultWindow;
    private int _peerInitialWindow = Http2Frames.DefaultWindow;
    private int _peerMaxFrameSize = Http2Frames.DefaultMaxFrameSize;

    /// <param name="host">The node's host name or address.</param>
    /// <param name="port">Its gRPC port.</param>
    /// <param name="connectTimeout">How long the TCP connect may take.</param>
    /// <param name="socketFactory">Makes the socket when not the default way (tests in network namespaces).</param>
    public Http2Connection(string host, int port, TimeSpan connectTimeout, Func<Socket>? socketFactory)
    {
        _host = host;
        _port = port;
        _socket = socketFactory?.Invoke() ?? new Socket(SocketType.Stream, ProtocolType.Tcp);
        _socket.NoDelay = true;
        // A peer that vanished without a reset (a pulled cable, a frozen VM) is found by TCP keepalive within a
        // minute even on an idle connection; busy connections are bounded by request timeouts above this layer.
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        _connectTimeout = DedicatedTimeProvider.Shared.CreateTimer(
            _ => CloseUnlessConnected(new IOException($"connecting to {host}:{port} took longer than {connectTimeout.TotalMilliseconds} ms")),
            null, connectTimeout, Timeout.InfiniteTimeSpan);
        new Thread(ReadLoop) { IsBackground = true, Name = $"logcluster-h2-read {host}:{port}" }.Start();
        new Thread(WriteLoop) { IsBackground = true, Name = $"logcluster-h2-write {host}:{port}" }.Start();
    }

    /// <summary>Whether new streams may still be opened here (not closed, no GOAWAY received).</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _closedBy is null && !_goingAway;
            }
        }
    }

    /// <summary>
    /// Opens a stream: queues its HEADERS (with END_STREAM when <paramref name="endStream"/>). Stream ids are taken
    /// in queue order, so they reach the wire increasing, as HTTP/2 requires. Throws <see cref="IOException"/>
    /// when the connection is closed or going away: nothing was sent, the caller may use a new connection.
    /// </summary>
    public Http2Stream Open(List<byte> headerBlock, IHttp2StreamHandler handler, bool endStream)
    {
        lock (_lock)
        {
            if (_closedBy is not null || _goingAway)
            {
                throw new IOException($"the connection to {_host}:{_port} is closed", _closedBy);
            }
            var stream = new Http2Stream(_nextStreamId, handler, _peerInitialWindow) { SentEnd = endStream };
            if (_nextStreamId > int.MaxValue - 2)
            {
                // Stream ids are spent: this one is the last, the next call opens a new connection.
                _goingAway = true;
            }
            _nextStreamId += 2;
            _streams[stream.Id] = stream;
            QueueHeaders(stream.Id, headerBlock, endStream);
            return stream;
        }
    }

    /// <summary>
    /// Queues <paramref name="length"/> bytes of <paramref name="payload"/> as DATA, split by frame size and flow
    /// control; <paramref name="written"/> runs on the writer thread once they were handed to the socket (null) or
    /// could not be (the failure). The payload must not change until then.
    /// </summary>
    public void SendData(Http2Stream stream, byte[] payload, int length, bool endStream, Action<Exception?>? written)
    {
        Exception? closed;
        lock (_lock)
        {
            closed = _closedBy;
            if (closed is null)
            {
                stream.SentEnd |= endStream;
                // A call the server already finished (a trailers-only answer before our request left): forget it now.
                RemoveIfDone(stream);
                _writes.Enqueue(new WriteItem(Stream: stream, Payload: payload, Length: length, EndStream: endStream, Written: written));
                Monitor.PulseAll(_lock);
            }
        }
        if (closed is not null)
        {
            written?.Invoke(new IOException($"the connection to {_host}:{_port} is closed", closed));
        }
    }

    /// <summary>Abandons a stream (RST_STREAM CANCEL) unless it already ended; its handler hears nothing more.</summary>
    public void Cancel(Http2Stream stream)
    {
        lock (_lock)
        {
            if (_streams.Remove(stream.Id) && _closedBy is null)
            {
                _writes.Enqueue(new WriteItem(Raw: Http2Frames.RstStreamFrame(stream.Id, Http2Frames.Cancel)));
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Forgets a stream that ended in both directions.</summary>
    private void RemoveIfDone(Http2Stream stream)
    {
        if (stream.SentEnd && stream.ReceivedEnd && _streams.Remove(stream.Id))
        {
            // The writer may be waiting for this stream's credit: it must look again and drop its data.
            Monitor.PulseAll(_lock);
        }
    }

    private void CloseUnlessConnected(Exception reason)
    {
        lock (_lock)
        {
            if (_connected)
            {
                return;
            }
        }
        Close(reason);
    }

    /// <summary>Closes the socket; every open stream is aborted and every queued write fails. Idempotent.</summary>
    private void Close(Exception reason)
    {
        List<Http2Stream> aborted;
        lock (_lock)
        {
            if (_closedBy is not null)
            {
                return;
            }
            _closedBy = reason;
            aborted = [.. _streams.Values];
            _streams.Clear();
            Monitor.PulseAll(_lock);
        }
        _connectTimeout.Dispose();
        _socket.Dispose();
        var abort = new Http2StreamAbort($"the connection to {_host}:{_port} was lost: {reason.Message}", Unprocessed: false);
        foreach (var stream in aborted)
        {
            stream.Handler.OnAborted(abort);
        }
    }

    public void Dispose() => Close(new ObjectDisposedException(nameof(Http2Connection), "the connection was closed by the client"));
}
