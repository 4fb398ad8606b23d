namespace LogCluster.LogNode.Kafka.Wire;

/// <summary>A request whose bytes do not follow the protocol: the connection answers what it can, or closes with a log line.</summary>
internal sealed class KafkaProtocolException(string message) : Exception(message);
