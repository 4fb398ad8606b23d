using System.Buffers.Binary;
using Grpc.Core;

namespace LogCluster.Client.Transport;

/// <summary>
/// One gRPC call on an HTTP/2 stream of an <see cref="Http2Connection"/>: its request writer, response reader,
/// headers, status and trailers. Responses are parsed and completed on the connection's reader thread, and the
/// tasks it hands out complete synchronously there: the SDK code awaiting them (our code only; users never see
/// these tasks) continues on that thread without a thread-pool hop, which is what keeps synchronous sends and
/// consumes alive while the pool is starved. That code must therefore never block; it queues work and returns.
/// Writes may be queued without waiting for the previous one; they go out in call order.
/// </summary>
internal sealed class GrpcCall<TRequest, TResponse> : IHttp2StreamHandler, IAsyncStreamReader<TResponse>, IClientStreamWriter<TRequest>
    where TRequest : class
    where TResponse : class
{
    private const int MaxReceiveMessageSize = 128 * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Method<TRequest, TResponse> _method;
    private readonly Http2Connection _connection;
    private readonly Queue<TResponse> _messages = new();
    private readonly TaskCompletionSource<Metadata> _responseHeaders;
    private readonly TaskCompletionSource<TResponse> _singleResponse;
    private Http2Stream? _stream;
    private byte[] _received = new byte[256];
    private int _receivedLength;
    private bool _headersSeen;
    private Status? _status;
    private Metadata _trailers = [];
    private TaskCompletionSource<bool>? _moveNext;
    private CancellationTokenRegistration _cancellation;
    private ITimer? _deadline;

    private GrpcCall(Method<TRequest, TResponse> method, Http2Connection connection)
    {
        _method = method;
        _connection = connection;
        _responseHeaders = new();
        _singleResponse = new();
        // Observed so an unawaited unary task's failure is never an unobserved exception.
        _singleResponse.Task.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        _responseHeaders.Task.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>
    /// Opens the call; with <paramref name="request"/> (unary and server-streaming calls) sends it and ends the
    /// request side. Throws <see cref="IOException"/> when the connection cannot take new streams.
    /// </summary>
    public static GrpcCall<TRequest, TResponse> Start(Http2Connection connection, Method<TRequest, TResponse> method, string authority, CallOptions options, TRequest? request)
    {
        var call = new GrpcCall<TRequest, TResponse>(method, connection);
        var frame = request is null ? null : GrpcFrameSerializationContext.Serialize(method.RequestMarshaller, request);
        call._stream = connection.Open(RequestHeaders(method, authority, options), call, endStream: false);
        if (frame is not null)
        {
            connection.SendData(call._stream, frame, frame.Length, endStream: true, written: null);
        }
        if (options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            var remaining = deadline - DedicatedTimeProvider.Shared.GetUtcNow().UtcDateTime;
            call._deadline = DedicatedTimeProvider.Shared.CreateTimer(
                static state => ((GrpcCall<TRequest, TResponse>)state!).Abort(new Status(StatusCode.DeadlineExceeded, "the call's deadline passed")),
                call, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        if (options.CancellationToken.CanBeCanceled)
        {
            call._cancellation = options.CancellationToken.Register(
                static state => ((GrpcCall<TRequest, TResponse>)state!).Abort(new Status(StatusCode.Cancelled, "the call was cancelled")), call);
        }
        return call;
    }

    private static List<byte> RequestHeaders(Method<TRequest, TResponse> method, string authority, CallOptions options)
    {
        var block = new List<byte>(128);
        HpackEncoder.Write(block, ":method", "POST");
        HpackEncoder.Write(block, ":scheme", "http");
        HpackEncoder.Write(block, ":path", method.FullName);
        HpackEncoder.Write(block, ":authority", authority);
        HpackEncoder.Write(block, "content-type", "application/grpc");
        HpackEncoder.Write(block, "te", "trailers");
        if (options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            var milliseconds = Math.Max(1, (long)(deadline - DedicatedTimeProvider.Shared.GetUtcNow().UtcDateTime).TotalMilliseconds);
            // grpc-timeout allows at most 8 digits.
            HpackEncoder.Write(block, "grpc-timeout", $"{Math.Min(milliseconds, 99_999_999)}m");
        }
        foreach (var entry in options.Headers ?? [])
        {
            HpackEncoder.Write(block, entry.Key, entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value);
        }
        return block;
    }

    /// <summary>The unary (or client-streaming) response: completes when the trailers say OK.</summary>
    public Task<TResponse> ResponseAsync => _singleResponse.Task;

    public Task<Metadata> ResponseHeadersAsync => _responseHeaders.Task;

    public TResponse Current { get; private set; } = null!;

    public WriteOptions? WriteOptions { get; set; }

    public Status GetStatus()
    {
        lock (_lock)
        {
            return _status ?? throw new InvalidOperationException("the call has not finished");
        }
    }

    public Metadata GetTrailers()
    {
        lock (_lock)
        {
            return _status is null ? throw new InvalidOperationException("the call has not finished") : _trailers;
        }
    }

    public Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_messages.TryDequeue(out var next))
            {
                Current = next;
                return Task.FromResult(true);
            }
            if (_status is { } status)
            {
                return status.StatusCode == StatusCode.OK ? Task.FromResult(false) : Task.FromException<bool>(new RpcException(status));
            }
            if (_moveNext is not null)
            {
                throw new InvalidOperationException("a previous MoveNext is still pending");
            }
            _moveNext = new TaskCompletionSource<bool>();
            return _moveNext.Task;
        }
    }

    public Task WriteAsync(TRequest message) => WriteFrame(GrpcFrameSerializationContext.Serialize(_method.RequestMarshaller, message), endStream: false);

    /// <summary>
    /// The write is queued at once whatever the token says; the token only stops the wait for it to reach the
    /// socket (the stream's owner breaks the stream when the node stops taking data).
    /// </summary>
    public Task WriteAsync(TRequest message, CancellationToken cancellationToken) => WriteAsync(message).WaitAsync(cancellationToken);

    public Task CompleteAsync() => WriteFrame([], endStream: true);

    private Task WriteFrame(byte[] frame, bool endStream)
    {
        lock (_lock)
        {
            if (_status is { } status)
            {
                return Task.FromException(new RpcException(status));
            }
        }
        var written = new TaskCompletionSource();
        _connection.SendData(_stream!, frame, frame.Length, endStream, failure =>
        {
            if (failure is null)
            {
                written.TrySetResult();
            }
            else
            {
                written.TrySetException(new RpcException(new Status(StatusCode.Unavailable, failure.Message, failure)));
            }
        });
        return written.Task;
    }

    public void OnHeaders(List<(string Name, string Value)> headers, bool endStream)
    {
        var first = false;
        lock (_lock)
        {
            first = !_headersSeen;
            _headersSeen = true;
        }
        if (first)
        {
            var httpStatus = headers.FirstOrDefault(h => h.Name == ":status").Value;
            if (httpStatus != "200")
            {
                Finish(new Status(StatusCode.Unavailable, $"the server answered HTTP status {httpStatus}"), []);
                return;
            }
            _responseHeaders.TrySetResult(ToMetadata(headers));
            if (!endStream)
            {
                return;
            }
        }
        // Trailers (or a trailers-only response): the call's status.
        var code = headers.FirstOrDefault(h => h.Name == "grpc-status").Value;
        var message = Uri.UnescapeDataString(headers.FirstOrDefault(h => h.Name == "grpc-message").Value ?? string.Empty);
        var status = int.TryParse(code, out var number)
            ? new Status((StatusCode)number, message)
            : new Status(StatusCode.Internal, "the server's trailers carry no grpc-status");
        Finish(status, ToMetadata(headers));
    }

    public void OnData(ReadOnlySpan<byte> data, bool endStream)
    {
        List<TResponse>? parsed = null;
        Status? failure = null;
        lock (_lock)
        {
            if (_status is not null)
            {
                return;
            }
            if (_receivedLength + data.Length > _received.Length)
            {
                Array.Resize(ref _received, Math.Max(_received.Length * 2, _receivedLength + data.Length));
            }
            data.CopyTo(_received.AsSpan(_receivedLength));
            _receivedLength += data.Length;
            var offset = 0;
            while (_receivedLength - offset >= 5)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(_received.AsSpan(offset + 1));
                if (_received[offset] != 0 || length < 0 || length > MaxReceiveMessageSize)
                {
                    failure = new Status(StatusCode.Internal, _received[offset] != 0
                        ? "the server sent a compressed message, which this client did not ask for"
                        : $"the server sent a message of {length} bytes, more than {MaxReceiveMessageSize}");
                    break;
                }
                if (_receivedLength - offset - 5 < length)
                {
                    break;
                }
                parsed ??= [];
                try
                {
                    parsed.Add(_method.ResponseMarshaller.ContextualDeserializer(new BufferDeserializationContext(_received.AsMemory(offset + 5, length))));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A message this client cannot read fails this call, not the connection (or the process).
                    failure = new Status(StatusCode.Internal, $"the server's response could not be read: {e.Message}", e);
                    break;
                }
                offset += 5 + length;
            }
            if (offset > 0)
            {
                _received.AsSpan(offset, _receivedLength - offset).CopyTo(_received);
                _receivedLength -= offset;
            }
            foreach (var message in parsed ?? [])
            {
                _messages.Enqueue(message);
            }
        }
        if (failure is { } status)
        {
            Abort(status);
            return;
        }
        DeliverNext();
    }

    public void OnAborted(Http2StreamAbort abort) =>
        Finish(new Status(StatusCode.Unavailable, abort.Message), []);

    /// <summary>Hands a buffered message to a waiting MoveNext; completed outside the lock, since its continuation runs here.</summary>
    private void DeliverNext()
    {
        TaskCompletionSource<bool>? waiter;
        lock (_lock)
        {
            if (_moveNext is null || !_messages.TryDequeue(out var next))
            {
                return;
            }
            waiter = _moveNext;
            _moveNext = null;
            Current = next;
        }
        waiter.TrySetResult(true);
    }

    /// <summary>Ends the call locally (cancellation, deadline, a bad message): resets the stream, then finishes.</summary>
    private void Abort(Status status)
    {
        if (_stream is { } stream)
        {
            _connection.Cancel(stream);
        }
        Finish(status, []);
    }

    private void Finish(Status status, Metadata trailers)
    {
        TaskCompletionSource<bool>? waiter = null;
        TResponse? single = default;
        int count;
        lock (_lock)
        {
            if (_status is not null)
            {
                return;
            }
            _status = status;
            _trailers = trailers;
            count = _messages.Count;
            if (count == 1)
            {
                single = _messages.Peek();
            }
            if (_moveNext is not null && count == 0)
            {
                waiter = _moveNext;
                _moveNext = null;
            }
        }
        _deadline?.Dispose();
        _cancellation.Dispose();
        _responseHeaders.TrySetException(new RpcException(status));
        if (status.StatusCode != StatusCode.OK)
        {
            _singleResponse.TrySetException(new RpcException(status, trailers));
            waiter?.TrySetException(new RpcException(status, trailers));
            return;
        }
        if (single is not null)
        {
            _singleResponse.TrySetResult(single);
        }
        else
        {
            _singleResponse.TrySetException(new RpcException(new Status(StatusCode.Internal, $"the call ended with {count} response messages where 1 was expected")));
        }
        waiter?.TrySetResult(false);
    }

    private static Metadata ToMetadata(List<(string Name, string Value)> headers)
    {
        var metadata = new Metadata();
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith(':') || name is "content-type" or "grpc-status" or "grpc-message")
            {
                continue;
            }
            if (name.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.Ordinal))
            {
                // gRPC allows unpadded base64 in -bin headers; one that is not base64 at all is skipped.
                var padded = value.PadRight(value.Length + ((4 - (value.Length % 4)) % 4), '=');
                var bytes = new byte[padded.Length];
                if (Convert.TryFromBase64String(padded, bytes, out var length))
                {
                    metadata.Add(name, bytes[..length]);
                }
            }
            else
            {
                metadata.Add(name, value);
            }
        }
        return metadata;
    }

    /// <summary>Abandons the call if it is still running (RST_STREAM); a finished call is left as it is.</summary>
    public void Dispose() => Abort(new Status(StatusCode.Cancelled, "the call was disposed"));
}
