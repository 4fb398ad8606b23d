using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace LogCluster.LogNode;

/// <summary>This node's id and the address clients reach it at, known once Kestrel has bound its port.</summary>
internal sealed class NodeIdentity(IServer server, IOptions<NodeOptions> options)
{
    public int NodeId => options.Value.NodeId;

    /// <summary>Where clients are told to reach this node (advertised host and port, else the bound ones).</summary>
    public (string Host, int Port) Address
    {
        get
        {
            var (host, port) = BoundAddress;
            return (options.Value.AdvertisedHost ?? host, options.Value.AdvertisedPort ?? port);
        }
    }

    /// <summary>The address Kestrel actually listens on (port 0 resolved).</summary>
    public (string Host, int Port) BoundAddress
    {
        get
        {
            var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("the server has not bound an address yet");
            var uri = new Uri(bound);
            return (uri.Host, uri.Port);
        }
    }
}
