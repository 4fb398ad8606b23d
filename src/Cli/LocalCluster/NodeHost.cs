namespace LogCluster.Cli.LocalCluster;

/// <summary>
/// Where a local node runs: the IP address it binds (gRPC and Raft), and the command its process is started
/// through, if any (for example <c>ip netns exec host1</c>, so that tests can run nodes in network namespaces
/// and cut the links between them).
/// </summary>
/// <param name="Address">An IP address the node binds and advertises.</param>
/// <param name="Launcher">Command and arguments the node's own command line is appended to; empty to start it directly.</param>
internal sealed record NodeHost(string Address, IReadOnlyList<string> Launcher)
{
    /// <summary>This machine's loopback, started directly: what the CLI, the demo and most tests use.</summary>
    public static NodeHost Loopback { get; } = new("127.0.0.1", []);
}
