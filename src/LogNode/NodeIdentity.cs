using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace LogCluster.LogNode;

/// <summary>This node's id and the address clients reach it at, known once Kestrel has bound its port.</summary>
internal sealed class NodeIdentity(IServer server, IOptions<NodeOptions> options)
{
    public int NodeId => options.Value.NodeId;

    public (string Host, int Port) Address
    {
        get
        {
            var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("the server has not bound an address yet");
            var uri = new Uri(bound);
            return (options.Value.AdvertisedHost ?? uri.Host, options.Value.AdvertisedPort ?? uri.Port);
        }
    }
}
