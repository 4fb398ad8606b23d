using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace LogCluster.LogNode;

/// <summary>This node's id and the address clients reach it at, known once Kestrel has bound its port.</summary>
internal sealed class NodeIdentity(IServer server, IOptions<NodeOptions> options)
{
    public int NodeId => options.Value.NodeId;

    /// <summary>Random per process: the controller tells a restart (which may have lost an unflushed tail) from a live node.</summary>
    public long Incarnation { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>Where clients are told to reach this node (advertised host and port, else the bound ones).</summary>
    public (string Host, int Port) Address
    {
        get
        {
            var (host, port) = BoundAddress;
            return (options.Value.AdvertisedHost ?? host, options.Value.AdvertisedPort ?? port);
        }
    }

    /// <summary>The external listener's address (checked at start: a fixed port), or null without one.</summary>
    private readonly IPEndPoint? _externalListen = options.Value.ExternalListen is { } listen ? ListenAddress.Parse(listen) : null;

    /// <summary>
    /// Where clients outside the nodes' network are told to reach this node (the external listener's advertised
    /// host and port), or null when the node has no external listener.
    /// </summary>
    public (string Host, int Port)? ExternalAddress => _externalListen is { } listen
        ? (options.Value.ExternalAdvertisedHost ?? listen.Address.ToString(), options.Value.ExternalAdvertisedPort ?? listen.Port)
        : null;

    private readonly IPEndPoint? _kafkaListen = options.Value.KafkaListen is { } kafka ? ListenAddress.ParseKafka(kafka, options.Value.KafkaAdvertisedHost) : null;

    /// <summary>Where Kafka clients are told to reach this node, or null when it has no Kafka listener.</summary>
    public (string Host, int Port)? KafkaAddress => _kafkaListen is { } listen
        ? (options.Value.KafkaAdvertisedHost ?? listen.Address.ToString(), options.Value.KafkaAdvertisedPort ?? listen.Port)
        : null;

    /// <summary>Whether a call came in through the external listener (then it is answered with external addresses).</summary>
    public bool IsExternal(ServerCallContext context)
    {
        if (_externalListen is not { } listen)
        {
            return false;
        }
        // Port and address: the two listeners may share a port on different interfaces.
        var connection = context.GetHttpContext().Connection;
        return connection.LocalPort == listen.Port
            && (listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any)
                || (connection.LocalIpAddress is { } local && (local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local).Equals(listen.Address)));
    }

    /// <summary>
    /// An address this process can call itself at: the bound one, with a wildcard (0.0.0.0, [::]) replaced by
    /// loopback, since gRPC cannot dial a wildcard. Null before Kestrel has bound.
    /// </summary>
    public (string Host, int Port)? SelfCallAddress() => TryGetBoundAddress() is { } bound
        ? (bound.Host switch { "0.0.0.0" => "127.0.0.1", "[::]" => "[::1]", _ => bound.Host }, bound.Port)
        : null;

    /// <summary>The address Kestrel actually listens on (port 0 resolved).</summary>
    public (string Host, int Port) BoundAddress => TryGetBoundAddress() ?? throw new InvalidOperationException("the server has not bound an address yet");

    /// <summary>The bound address, or null before Kestrel has bound it (background services start first).</summary>
    public (string Host, int Port)? TryGetBoundAddress()
    {
        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (bound is null)
        {
            return null;
        }
        var uri = new Uri(bound);
        return uri.Port == 0 ? null : (uri.Host, uri.Port);
    }
}
