using System.Net;
using System.Net.Sockets;

namespace LogCluster.Tests.Integration;

/// <summary>Ports for listeners a test configures by number (metrics, external listeners, published container ports).</summary>
internal static class LoopbackPorts
{
    /// <summary>A port free on 127.0.0.1 when asked; the OS does not hand it out again at once.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
