using Grpc.Core;

namespace LogCluster.Client.Transport;

/// <summary>
/// The SDKs' gRPC channel to one node: a <see cref="CallInvoker"/> for the generated clients over one
/// <see cref="Http2Connection"/>, replaced by a new one when it is lost or the server sends GOAWAY.
/// Why not Grpc.Net.Client here: its HTTP/2 stack (SocketsHttpHandler) completes every response read through the
/// thread pool (each stream's read waiter runs its continuations asynchronously), so a process whose pool threads
/// are all blocked in synchronous sends cannot read the acknowledgements that would unblock them. The node side,
/// the CLI and the tests keep Grpc.Net.Client and Grpc.AspNetCore; the wire is the same gRPC.
/// </summary>
internal sealed class NodeChannel(string host, int port, TimeSpan connectTimeout, Func<System.Net.Sockets.Socket>? socketFactory = null) : CallInvoker, IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _authority = $"{host}:{port}";
    private Http2Connection? _connection;
    private bool _disposed;

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = Start(method, options, request);
        return new AsyncUnaryCall<TResponse>(call.ResponseAsync, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = Start(method, options, request);
        return new AsyncServerStreamingCall<TResponse>(call, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
    {
        var call = Start(method, options, request: null);
        return new AsyncClientStreamingCall<TRequest, TResponse>(call, call.ResponseAsync, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
    {
        var call = Start(method, options, request: null);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call, call, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    /// <summary>Not offered: a blocking call would hold the caller's thread for a network round trip.</summary>
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException("the LogCluster SDK makes asynchronous calls only");

    private GrpcCall<TRequest, TResponse> Start<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options, TRequest? request)
        where TRequest : class
        where TResponse : class
    {
        // A connection can close between the check and the open: one more try on a new one, then the failure.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return GrpcCall<TRequest, TResponse>.Start(Connection(), method, _authority, options, request);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException && attempt == 0)
            {
                // Closed under us: the next turn opens a new connection.
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, e.Message, e));
            }
        }
    }

    private Http2Connection Connection()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                // Reset by ClusterMetadata while a caller still held it: a network failure to that caller, as for any reset.
                throw new IOException($"the channel to {_authority} was reset");
            }
            if (_connection is not { IsOpen: true })
            {
                // A connection that received GOAWAY finishes its calls and is closed by the server.
                _connection = new Http2Connection(host, port, connectTimeout, socketFactory);
            }
            return _connection;
        }
    }

    public void Dispose()
    {
        Http2Connection? connection;
        lock (_lock)
        {
            _disposed = true;
            connection = _connection;
        }
        connection?.Dispose();
    }
}
