namespace LogCluster.LogNode.Kafka.Wire;

/// <summary>A generated message that can write itself in a given version.</summary>
internal interface IKafkaMessage
{
    void Write(KafkaWriter writer, short version);
}
