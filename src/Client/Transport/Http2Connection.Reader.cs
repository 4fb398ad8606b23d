using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace LogCluster.Client.Transport;

internal sealed partial class Http2Connection
{
    private readonly HpackDecoder _hpack = new();
    private readonly List<byte> _headerBlock = [];
    private int _headerBlockStream;
    private bool _headerBlockEndsStream;
    private int _connectionUnacknowledged;

    private void ReadLoop()
    {
        try
        {
            Connect();
            using var input = new BufferedStream(new NetworkStream(_socket, ownsSocket: false), 64 * 1024);
            var header = new byte[Http2Frames.HeaderLength];
            var payload = new byte[Http2Frames.DefaultMaxFrameSize];
            while (true)
            {
                input.ReadExactly(header);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                if (length > Http2Frames.DefaultMaxFrameSize)
                {
                    throw new Http2ProtocolException($"a frame of {length} bytes exceeds our SETTINGS_MAX_FRAME_SIZE");
                }
                input.ReadExactly(payload.AsSpan(0, length));
                var streamId = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
                Dispatch(header[3], header[4], streamId, payload.AsSpan(0, length));
            }
        }
        catch (Exception e)
        {
            // Whatever went wrong (the network, a frame that breaks the rules, a bug), it ends this connection and
            // fails its calls; it must never escape a thread of ours and end the process.
            Close(e);
        }
    }

    private void Connect()
    {
        var addresses = Dns.GetHostAddresses(_host);
        if (addresses.Length == 0)
        {
            throw new IOException($"'{_host}' has no address");
        }
        _socket.Connect(addresses, _port);
        _connectTimeout.Dispose();
        // The preface and our settings before anything else, while the writer still waits for the connection.
        var opening = new List<byte>(Http2Frames.Preface.ToArray());
        opening.AddRange(Http2Frames.SettingsFrame((Http2Frames.SettingEnablePush, 0u), (Http2Frames.SettingInitialWindowSize, (uint)ReceiveWindow)));
        opening.AddRange(Http2Frames.WindowUpdateFrame(0, ReceiveWindow - Http2Frames.DefaultWindow));
        _socket.Send([.. opening]);
        lock (_lock)
        {
            _connected = true;
            Monitor.PulseAll(_lock);
        }
    }

    private void Dispatch(byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var expectedLength = type switch
        {
            Http2Frames.RstStream or Http2Frames.WindowUpdate => 4,
            Http2Frames.Ping => 8,
            _ => -1,
        };
        if ((expectedLength >= 0 && payload.Length != expectedLength) || (type == Http2Frames.GoAway && payload.Length < 8)
            || (type == Http2Frames.Settings && payload.Length % 6 != 0))
        {
            throw new Http2ProtocolException($"a frame of type {type} with a {payload.Length}-byte payload");
        }
        if (_headerBlockStream != 0 && type != Http2Frames.Continuation)
        {
            throw new Http2ProtocolException("a header block was interrupted by another frame");
        }
        switch (type)
        {
            case Http2Frames.Data:
                OnData(flags, streamId, payload);
                break;
            case Http2Frames.Headers:
                OnHeadersFrame(flags, streamId, payload);
                break;
            case Http2Frames.Continuation:
                if (streamId != _headerBlockStream)
                {
                    throw new Http2ProtocolException("CONTINUATION without a header block in progress");
                }
                AppendHeaderBlock(flags, payload);
                break;
            case Http2Frames.RstStream:
                OnReset(streamId, BinaryPrimitives.ReadUInt32BigEndian(payload));
                break;
            case Http2Frames.Settings:
                if ((flags & Http2Frames.Ack) == 0)
                {
                    ApplySettings(payload);
                    QueueControl(Http2Frames.Frame(Http2Frames.Settings, Http2Frames.Ack, 0, []));
                }
                break;
            case Http2Frames.Ping:
                if ((flags & Http2Frames.Ack) == 0)
                {
                    QueueControl(Http2Frames.Frame(Http2Frames.Ping, Http2Frames.Ack, 0, payload));
                }
                break;
            case Http2Frames.GoAway:
                OnGoAway(BinaryPrimitives.ReadInt32BigEndian(payload) & 0x7FFFFFFF);
                break;
            case Http2Frames.WindowUpdate:
                OnWindowUpdate(streamId, BinaryPrimitives.ReadInt32BigEndian(payload) & 0x7FFFFFFF);
                break;
            case Http2Frames.PushPromise:
                throw new Http2ProtocolException("PUSH_PROMISE although push is disabled");
            default:
                // PRIORITY and unknown frame types carry nothing we use (RFC 9113 4.1: ignore unknown types).
                break;
        }
    }

    private void OnData(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var data = Unpad(flags, payload);
        var endStream = (flags & Http2Frames.EndStream) != 0;
        Http2Stream? stream;
        int streamIncrement = 0, connectionIncrement = 0;
        lock (_lock)
        {
            _streams.TryGetValue(streamId, out stream);
            // Flow control counts the whole frame, padding included; credit goes back as soon as the data is
            // handed over (the call buffers it), in steps of half a window to keep WINDOW_UPDATEs rare.
            _connectionUnacknowledged += payload.Length;
            if (_connectionUnacknowledged >= ReceiveWindow / 2)
            {
                connectionIncrement = _connectionUnacknowledged;
                _connectionUnacknowledged = 0;
            }
            if (stream is not null && !endStream)
            {
                stream.UnacknowledgedReceived += payload.Length;
                if (stream.UnacknowledgedReceived >= ReceiveWindow / 2)
                {
                    streamIncrement = stream.UnacknowledgedReceived;
                    stream.UnacknowledgedReceived = 0;
                }
            }
        }
        if (connectionIncrement > 0)
        {
            QueueControl(Http2Frames.WindowUpdateFrame(0, connectionIncrement));
        }
        if (streamIncrement > 0)
        {
            QueueControl(Http2Frames.WindowUpdateFrame(streamId, streamIncrement));
        }
        if (stream is null)
        {
            return;
        }
        stream.Handler.OnData(data, endStream);
        if (endStream)
        {
            MarkReceivedEnd(stream);
        }
    }

    private void OnHeadersFrame(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var fragment = Unpad(flags, payload);
        if ((flags & Http2Frames.PriorityFlag) != 0)
        {
            fragment = fragment.Length >= 5 ? fragment[5..] : throw new Http2ProtocolException("HEADERS priority fields are truncated");
        }
        _headerBlockStream = streamId;
        _headerBlockEndsStream = (flags & Http2Frames.EndStream) != 0;
        _headerBlock.Clear();
        AppendHeaderBlock(flags, fragment);
    }

    private void AppendHeaderBlock(byte flags, ReadOnlySpan<byte> fragment)
    {
        _headerBlock.AddRange(fragment);
        if ((flags & Http2Frames.EndHeaders) == 0)
        {
            return;
        }
        var streamId = _headerBlockStream;
        _headerBlockStream = 0;
        // Decoded even for a stream we abandoned: the HPACK table must follow every block the peer sent.
        var headers = _hpack.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_headerBlock));
        Http2Stream? stream;
        lock (_lock)
        {
            _streams.TryGetValue(streamId, out stream);
        }
        if (stream is null)
        {
            return;
        }
        stream.Handler.OnHeaders(headers, _headerBlockEndsStream);
        if (_headerBlockEndsStream)
        {
            MarkReceivedEnd(stream);
        }
    }

    private void MarkReceivedEnd(Http2Stream stream)
    {
        lock (_lock)
        {
            stream.ReceivedEnd = true;
            RemoveIfDone(stream);
        }
    }

    private void OnReset(int streamId, uint errorCode)
    {
        Http2Stream? stream;
        lock (_lock)
        {
            _streams.Remove(streamId, out stream);
            Monitor.PulseAll(_lock);
        }
        stream?.Handler.OnAborted(new Http2StreamAbort(
            $"the server reset the stream (HTTP/2 error {errorCode})", Unprocessed: errorCode == Http2Frames.RefusedStream));
    }

    private void ApplySettings(ReadOnlySpan<byte> payload)
    {
        lock (_lock)
        {
            for (var i = 0; i + 6 <= payload.Length; i += 6)
            {
                var id = BinaryPrimitives.ReadUInt16BigEndian(payload[i..]);
                var value = BinaryPrimitives.ReadUInt32BigEndian(payload[(i + 2)..]);
                if (id == Http2Frames.SettingInitialWindowSize)
                {
                    if (value > int.MaxValue)
                    {
                        throw new Http2ProtocolException($"SETTINGS_INITIAL_WINDOW_SIZE {value} exceeds 2^31-1");
                    }
                    // RFC 9113 6.9.2: a new initial window shifts every open stream's window by the difference.
                    var delta = (long)value - _peerInitialWindow;
                    foreach (var stream in _streams.Values)
                    {
                        stream.SendWindow += delta;
                    }
                    _peerInitialWindow = (int)Math.Min(value, int.MaxValue);
                }
                else if (id == Http2Frames.SettingMaxFrameSize)
                {
                    _peerMaxFrameSize = (int)Math.Clamp(value, Http2Frames.DefaultMaxFrameSize, 16 * 1024 * 1024 - 1);
                }
            }
            Monitor.PulseAll(_lock);
        }
    }

    private void OnGoAway(int lastStreamId)
    {
        List<Http2Stream> refused;
        lock (_lock)
        {
            // New calls go to a new connection; Kestrel's first GOAWAY of a graceful stop names 2^31-1, so the
            // flag, not the id, says "going away".
            _goingAway = true;
            refused = [.. _streams.Values.Where(s => s.Id > lastStreamId)];
            foreach (var stream in refused)
            {
                _streams.Remove(stream.Id);
            }
            Monitor.PulseAll(_lock);
        }
        var abort = new Http2StreamAbort($"the server at {_host}:{_port} is going away and did not process the call", Unprocessed: true);
        foreach (var stream in refused)
        {
            stream.Handler.OnAborted(abort);
        }
    }

    private void OnWindowUpdate(int streamId, int increment)
    {
        lock (_lock)
        {
            if (streamId == 0)
            {
                _connectionSendWindow += increment;
            }
            else if (_streams.TryGetValue(streamId, out var stream))
            {
                stream.SendWindow += increment;
            }
            Monitor.PulseAll(_lock);
        }
    }

    private static ReadOnlySpan<byte> Unpad(byte flags, ReadOnlySpan<byte> payload)
    {
        if ((flags & Http2Frames.Padded) == 0)
        {
            return payload;
        }
        if (payload.Length == 0 || payload[0] >= payload.Length)
        {
            throw new Http2ProtocolException("padding longer than the frame");
        }
        return payload[1..^payload[0]];
    }
}
