namespace LogCluster.Tests.Integration;

/// <summary>
/// Tests that kill, freeze and restart node processes under load (3-node clusters, 200,000-record fault runs)
/// run one class at a time: on a 2-core machine several at once starve the nodes' heartbeats and elections and
/// measure the machine instead of the cluster.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessHeavyCollection
{
    public const string Name = "process-heavy";
}
