using LogCluster.Client.Configuration;
using static LogCluster.Client.Configuration.ConfigValues;

namespace LogCluster.Producer;

// The checks a producer runs when it is built, so that a bad setting fails there and not mid-send.
public sealed partial record ProducerConfig
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the Kafka key of the first setting that is out of range, or
    /// of a rule between keys that is broken.
    /// </summary>
    public void Validate()
    {
        _keys.CheckValues(this);

        if (EnableIdempotence)
        {
            throw new ArgumentException(
                "enable.idempotence=true is not supported by this version yet: it lands with the idempotent producer. " +
                "Leave enable.idempotence false (the default); with acks=all and retries no acknowledged record is lost, " +
                "but a retried batch may be written twice");
        }
        if (DeliveryTimeout < Linger + RequestTimeout)
        {
            throw new ArgumentException(
                $"delivery.timeout.ms ({FormatMilliseconds(DeliveryTimeout)}) must be at least linger.ms + " +
                $"request.timeout.ms ({FormatMilliseconds(Linger)} + {FormatMilliseconds(RequestTimeout)}), as in Kafka: " +
                "a record may wait linger.ms to join a batch and then request.timeout.ms for the response, and " +
                "delivery.timeout.ms bounds both; raise delivery.timeout.ms or lower the others");
        }
        if (RetryBackoffMax < RetryBackoff)
        {
            throw new ArgumentException(
                $"retry.backoff.max.ms ({FormatMilliseconds(RetryBackoffMax)}) must be at least retry.backoff.ms " +
                $"({FormatMilliseconds(RetryBackoff)}): it caps the backoff that starts at retry.backoff.ms");
        }
    }

    /// <summary>The <c>bootstrap.servers</c> entries for the connection code; throws as <see cref="Validate"/> does.</summary>
    internal IReadOnlyList<HostPort> BootstrapEndpoints() =>
        HostPort.ParseList(BootstrapServersKey, BootstrapServers);
}
