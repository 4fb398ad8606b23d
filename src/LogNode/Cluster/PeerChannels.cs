using System.Collections.Concurrent;
using Grpc.Net.Client;

namespace LogCluster.LogNode.Cluster;

/// <summary>gRPC channels from this node to the others (controller calls, replica fetches), one per address.</summary>
internal sealed class PeerChannels : IDisposable
{
    private readonly ConcurrentDictionary<(string Host, int Port), GrpcChannel> _channels = new();

    public GrpcChannel For(string host, int port) => _channels.GetOrAdd((host, port), key => Dedicated(key.Host, key.Port));

    /// <summary>
    /// A channel of its own, with the same settings, for the caller to dispose: its connections close only when the
    /// caller says so or the process ends, never because another call on the shared channel timed out.
    /// </summary>
    public static GrpcChannel Dedicated(string host, int port) => GrpcChannel.ForAddress(new UriBuilder("http", host, port).Uri, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = null,
        HttpHandler = new SocketsHttpHandler
        {
            // A peer that vanished without closing (a cut link) is found by pings, not by the OS minutes later.
            KeepAlivePingDelay = TimeSpan.FromSeconds(5),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            // Names are resolved off the thread pool (PeerAddressResolver): a peer whose name stopped resolving must
            // not block pool threads for the resolver's timeout on every reconnect.
            ConnectCallback = (context, cancellationToken) => PeerAddressResolver.Shared.ConnectAsync(context.DnsEndPoint, cancellationToken),
        },
    });

    /// <summary>Drops the channel after a call timed out, so the next call opens a new connection.</summary>
    public void Reset(string host, int port)
    {
        if (_channels.TryRemove((host, port), out var channel))
        {
            channel.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }
}
