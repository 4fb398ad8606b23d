namespace LogCluster.LogNode.Metadata;

/// <summary>Joins the metadata quorum when the node starts (before it serves anything) and leaves it when it stops.</summary>
internal sealed class MetadataQuorumService(IMetadataQuorum quorum) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => quorum.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => quorum.DisposeAsync().AsTask();
}
