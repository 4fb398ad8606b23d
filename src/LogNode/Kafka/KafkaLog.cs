namespace LogCluster.LogNode.Kafka;

/// <summary>The Kafka listener's log events; ids 301-399.</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(301, LogLevel.Warning, "Kafka connection {Connection} closed: a frame of {Size} bytes (at least 8 and at most {Max} are taken)")]
    public static partial void BadFrameSize(ILogger logger, string connection, int size, int max);

    [LoggerMessage(302, LogLevel.Warning, "Kafka connection {Connection} closed: API key {ApiKey} (version {Version}) is not served")]
    public static partial void UnknownApi(ILogger logger, string connection, short apiKey, short version);

    [LoggerMessage(303, LogLevel.Warning, "Kafka connection {Connection} closed: API key {ApiKey} version {Version} is not served (versions {Lowest}-{Highest} are)")]
    public static partial void UnsupportedVersion(ILogger logger, string connection, short apiKey, short version, short lowest, short highest);

    [LoggerMessage(304, LogLevel.Warning, "Kafka connection {Connection} closed: a malformed request (API key {ApiKey} version {Version}): {Reason}")]
    public static partial void MalformedRequest(ILogger logger, string connection, short apiKey, short version, string reason);

    [LoggerMessage(305, LogLevel.Debug, "Kafka connection {Connection} closed after {IdleMs} ms without a request")]
    public static partial void IdleClosed(ILogger logger, string connection, double idleMs);

    [LoggerMessage(306, LogLevel.Error, "Kafka connection {Connection} closed: handling a request failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string connection);

    [LoggerMessage(307, LogLevel.Warning, "Kafka InitProducerId answered COORDINATOR_LOAD_IN_PROGRESS: no producer id could be allocated now ({Reason})")]
    public static partial void ProducerIdUnavailable(ILogger logger, string reason);

    [LoggerMessage(308, LogLevel.Information, "Kafka connection {Connection} closed, as the protocol answers: {Reason}")]
    public static partial void ClosedByProtocol(ILogger logger, string connection, string reason);
}
