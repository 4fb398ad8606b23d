namespace LogCluster.LogNode.Kafka;

/// <summary>Kafka's error codes, by Kafka's numbering (the protocol guide's error table).</summary>
internal static class ErrorCodes
{
    public const short None = 0;
    public const short UnsupportedVersion = 35;
}
