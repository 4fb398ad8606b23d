namespace LogCluster.Client.Transport;

internal sealed partial class Http2Connection
{
    /// <summary>Coalescing buffer: what queued while the last write ran leaves in one send.</summary>
    private const int WriteBufferSize = 64 * 1024;

    /// <summary>A queued write: a ready frame (<paramref name="Raw"/>), or DATA for a stream, split when written.</summary>
    private sealed record WriteItem(
        byte[]? Raw = null,
        Http2Stream? Stream = null,
        byte[]? Payload = null,
        int Length = 0,
        bool EndStream = false,
        Action<Exception?>? Written = null);

    /// <summary>HEADERS, then CONTINUATION frames if the block exceeds the peer's frame size; one queue item, so nothing interleaves. Call under the lock.</summary>
    private void QueueHeaders(int streamId, List<byte> block, bool endStream)
    {
        var frames = new List<byte>(block.Count + (Http2Frames.HeaderLength * 2));
        var offset = 0;
        Span<byte> header = stackalloc byte[Http2Frames.HeaderLength];
        do
        {
            var length = Math.Min(block.Count - offset, _peerMaxFrameSize);
            var last = offset + length == block.Count;
            var type = offset == 0 ? Http2Frames.Headers : Http2Frames.Continuation;
            var flags = (byte)((last ? Http2Frames.EndHeaders : 0) | (offset == 0 && endStream ? Http2Frames.EndStream : 0));
            Http2Frames.WriteHeader(header, length, type, flags, streamId);
            frames.AddRange(header);
            frames.AddRange(block.GetRange(offset, length));
            offset += length;
        }
        while (offset < block.Count);
        _writes.Enqueue(new WriteItem(Raw: [.. frames]));
        Monitor.PulseAll(_lock);
    }

    /// <summary>Queues a frame the reader thread owes the peer (SETTINGS and PING acks, WINDOW_UPDATE).</summary>
    private void QueueControl(byte[] frame)
    {
        lock (_lock)
        {
            if (_closedBy is null)
            {
                _control.Enqueue(frame);
                Monitor.PulseAll(_lock);
            }
        }
    }

    private void WriteLoop()
    {
        var buffer = new byte[WriteBufferSize];
        var used = 0;
        var written = new List<Action<Exception?>>();
        Exception? failure = null;
        WriteItem? current = null;
        try
        {
            lock (_lock)
            {
                while (!_connected && _closedBy is null)
                {
                    Monitor.Wait(_lock);
                }
            }
            while (true)
            {
                WriteItem? item = null;
                byte[][] control;
                lock (_lock)
                {
                    while (_closedBy is null && _writes.Count == 0 && _control.Count == 0 && used == 0)
                    {
                        Monitor.Wait(_lock);
                    }
                    if (_closedBy is not null)
                    {
                        failure = _closedBy;
                        break;
                    }
                    control = TakeControl();
                    _writes.TryDequeue(out item);
                    current = item;
                }
                foreach (var frame in control)
                {
                    Append(frame, buffer, ref used, written);
                }
                if (item is null)
                {
                    // Nothing more queued: send what gathered.
                    Flush(buffer, ref used, written);
                    continue;
                }
                if (item.Raw is not null)
                {
                    Append(item.Raw, buffer, ref used, written);
                }
                else if (!WriteData(item, buffer, ref used, written))
                {
                    item.Written?.Invoke(new IOException("the stream ended before its data was sent"));
                    continue;
                }
                if (item.Written is not null)
                {
                    written.Add(item.Written);
                }
                current = null;
            }
        }
        catch (Exception e)
        {
            // Never out of this thread: the connection ends and its calls fail.
            failure = e;
            Close(e);
        }
        if (current?.Written is { } interrupted && !written.Contains(interrupted))
        {
            // The item being written when the connection failed is in neither list: its writer must hear too.
            written.Add(interrupted);
        }
        FailQueued(written, failure ?? new IOException("the connection was closed"));
    }

    /// <summary>
    /// Writes one DATA item as frames within the peer's frame size and flow-control windows, waiting (after
    /// sending what is buffered) while no credit is left. False when its stream was abandoned meanwhile.
    /// </summary>
    private bool WriteData(WriteItem item, byte[] buffer, ref int used, List<Action<Exception?>> written)
    {
        var stream = item.Stream!;
        var offset = 0;
        byte[][] control;
        Span<byte> header = stackalloc byte[Http2Frames.HeaderLength];
        do
        {
            int chunk;
            while (true)
            {
                lock (_lock)
                {
                    if (_closedBy is not null)
                    {
                        throw new IOException("the connection was closed", _closedBy);
                    }
                    if (!_streams.ContainsKey(stream.Id))
                    {
                        return false;
                    }
                    var remaining = item.Length - offset;
                    chunk = (int)Math.Min(Math.Min(remaining, _peerMaxFrameSize), Math.Min(_connectionSendWindow, stream.SendWindow));
                    if (chunk > 0 || remaining == 0)
                    {
                        chunk = Math.Max(chunk, 0);
                        _connectionSendWindow -= chunk;
                        stream.SendWindow -= chunk;
                        break;
                    }
                    control = TakeControl();
                    if (used == 0 && control.Length == 0)
                    {
                        // Out of credit and nothing buffered: wait for the peer's WINDOW_UPDATE (or frames we owe it).
                        Monitor.Wait(_lock);
                        continue;
                    }
                }
                // Never hold the lock while writing: the reader thread needs it to take in the credit. The frames we
                // owe the peer go out meanwhile: it may be waiting for our WINDOW_UPDATE to send what frees our credit.
                foreach (var frame in control)
                {
                    Append(frame, buffer, ref used, written);
                }
                Flush(buffer, ref used, written);
            }
            var last = offset + chunk == item.Length;
            Http2Frames.WriteHeader(header, chunk, Http2Frames.Data, last && item.EndStream ? Http2Frames.EndStream : (byte)0, stream.Id);
            Append(header, buffer, ref used, written);
            Append(item.Payload.AsSpan(offset, chunk), buffer, ref used, written);
            offset += chunk;
        }
        while (offset < item.Length);
        return true;
    }

    /// <summary>Takes the control frames owed; call under the lock.</summary>
    private byte[][] TakeControl()
    {
        if (_control.Count == 0)
        {
            return [];
        }
        var frames = _control.ToArray();
        _control.Clear();
        return frames;
    }

    private void Append(ReadOnlySpan<byte> bytes, byte[] buffer, ref int used, List<Action<Exception?>> written)
    {
        if (used + bytes.Length > buffer.Length)
        {
            Flush(buffer, ref used, written);
        }
        if (bytes.Length > buffer.Length)
        {
            _socket.Send(bytes);
            return;
        }
        bytes.CopyTo(buffer.AsSpan(used));
        used += bytes.Length;
    }

    /// <summary>Sends the buffer, then tells the writers whose data it held.</summary>
    private void Flush(byte[] buffer, ref int used, List<Action<Exception?>> written)
    {
        var sent = 0;
        while (sent < used)
        {
            sent += _socket.Send(buffer.AsSpan(sent, used - sent));
        }
        used = 0;
        foreach (var callback in written)
        {
            callback(null);
        }
        written.Clear();
    }

    private void FailQueued(List<Action<Exception?>> written, Exception failure)
    {
        List<WriteItem> queued;
        lock (_lock)
        {
            queued = [.. _writes];
            _writes.Clear();
        }
        var error = new IOException($"the connection to {_host}:{_port} was lost: {failure.Message}", failure);
        foreach (var callback in written.Concat(queued.Select(q => q.Written).OfType<Action<Exception?>>()))
        {
            callback(error);
        }
    }
}
