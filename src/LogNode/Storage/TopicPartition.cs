namespace LogCluster.LogNode.Storage;

/// <summary>A partition's identity; its folder on disk is <c>&lt;topic&gt;-&lt;partition&gt;</c>.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public string DirectoryName => $"{Topic}-{Partition}";

    public override string ToString() => DirectoryName;
}
