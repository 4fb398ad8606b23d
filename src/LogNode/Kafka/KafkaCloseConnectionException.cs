namespace LogCluster.LogNode.Kafka;

/// <summary>
/// Thrown by an API's response task when the protocol's answer to a request is closing the connection (an acks=0
/// produce that failed): the connection writes the responses before it, logs the reason and closes.
/// </summary>
internal sealed class KafkaCloseConnectionException(string reason) : Exception(reason);
