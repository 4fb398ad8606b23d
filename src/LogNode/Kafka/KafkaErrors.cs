namespace LogCluster.LogNode.Kafka;

/// <summary>Kafka's error codes, by Kafka's numbering (the protocol guide's error table).</summary>
internal static class KafkaErrors
{
    public const short None = 0;
    public const short UnknownTopicOrPartition = 3;
    public const short LeaderNotAvailable = 5;
    public const short UnsupportedVersion = 35;
    public const short InvalidGroupId = 24;
    public const short InvalidRequest = 42;
    public const short UnknownTopicId = 100;
}
