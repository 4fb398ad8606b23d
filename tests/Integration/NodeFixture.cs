using LogCluster.Cli.LocalCluster;
namespace LogCluster.Tests.Integration;

/// <summary>One node process shared by a test class whose tests each use their own topics.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private LocalNode? _node;

    internal LocalNode Node => _node ?? throw new InvalidOperationException("not started");

    internal NodeClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _node = await LocalNode.StartAsync(_data.Path);
        Client = new NodeClient(_node.Address);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Node.DisposeAsync();
        _data.Dispose();
    }
}
