namespace LogCluster.Client.Transport;

/// <summary>What a stream's owner (a gRPC call) hears from the connection's reader thread, in frame order.</summary>
internal interface IHttp2StreamHandler
{
    /// <summary>A complete header block: response headers first, trailers last (with <paramref name="endStream"/>).</summary>
    void OnHeaders(List<(string Name, string Value)> headers, bool endStream);

    /// <summary>A DATA frame's payload, valid only during the call.</summary>
    void OnData(ReadOnlySpan<byte> data, bool endStream);

    /// <summary>The stream ended abnormally: reset by the peer, refused by GOAWAY, or the connection was lost.</summary>
    void OnAborted(Http2StreamAbort abort);
}

/// <summary>Why a stream ended before its trailers. <see cref="Unprocessed"/>: the server never saw it (safe to retry).</summary>
internal sealed record Http2StreamAbort(string Message, bool Unprocessed);

/// <summary>One HTTP/2 stream of a <see cref="Http2Connection"/>; its fields are guarded by the connection's lock.</summary>
internal sealed class Http2Stream(int id, IHttp2StreamHandler handler, int sendWindow)
{
    public int Id { get; } = id;

    public IHttp2StreamHandler Handler { get; } = handler;

    /// <summary>Bytes the peer lets us send on this stream now; negative after it shrank its initial window.</summary>
    public long SendWindow { get; set; } = sendWindow;

    /// <summary>DATA bytes received and not yet returned to the peer with WINDOW_UPDATE.</summary>
    public int UnacknowledgedReceived { get; set; }

    public bool SentEnd { get; set; }

    public bool ReceivedEnd { get; set; }
}
