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

        if (EnableIdempotence == true)
        {
            CheckIdempotenceCompatible();
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

    /// <summary>
    /// enable.idempotence=true set explicitly: a setting that breaks it is a mistake to report, not to work around
    /// (left unset, the same setting only turns idempotence off, as in Kafka).
    /// </summary>
    private void CheckIdempotenceCompatible()
    {
        const string Why = "enable.idempotence=true needs ";
        const string Fix = "; change that setting, or set enable.idempotence=false to send without idempotence";
        if (Acks != Acks.All)
        {
            throw new ArgumentException(
                $"{Why}acks=all, got acks={_acks.Format(Acks)}: only a write acknowledged after it is stored can be " +
                $"deduplicated when it is retried{Fix}");
        }
        if (MaxInFlightRequestsPerConnection > MaxInFlightWithIdempotence)
        {
            throw new ArgumentException(
                $"{Why}max.in.flight.requests.per.connection <= {MaxInFlightWithIdempotence}, got " +
                $"{MaxInFlightRequestsPerConnection}: a node remembers the last {MaxInFlightWithIdempotence} batches " +
                $"of each producer per partition, so a retry of an older one could be written twice{Fix}");
        }
        if (Retries == 0)
        {
            throw new ArgumentException($"{Why}retries > 0, got retries=0: idempotence exists to make retries safe{Fix}");
        }
    }

    /// <summary>The <c>bootstrap.servers</c> entries for the connection code; throws as <see cref="Validate"/> does.</summary>
    internal IReadOnlyList<HostPort> BootstrapEndpoints() =>
        HostPort.ParseList(BootstrapServersKey, BootstrapServers);
}
