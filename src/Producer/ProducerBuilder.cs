namespace LogCluster.Producer;

/// <summary>
/// Builds a producer, in the shape Confluent.Kafka users know. Keys and values of type byte[], string, int and
/// long get a serializer by default; other types need <see cref="SetKeySerializer"/> / <see cref="SetValueSerializer"/>
/// (e.g. <see cref="Serializers.Json{T}"/>). The configuration is validated by <see cref="Build"/>.
/// </summary>
public sealed class ProducerBuilder<TKey, TValue>
{
    private readonly ProducerConfig _config;
    private ISerializer<TKey>? _keySerializer;
    private ISerializer<TValue>? _valueSerializer;
    private TimeProvider _time = TimeProvider.System;

    public ProducerBuilder(ProducerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
    }

    /// <summary>From Kafka's keys: <c>bootstrap.servers</c>, <c>acks</c>, <c>linger.ms</c>, ...</summary>
    public ProducerBuilder(IEnumerable<KeyValuePair<string, string>> properties)
        : this(ProducerConfig.FromProperties(properties))
    {
    }

    /// <summary>From a connection URI: <c>logcluster://n1:7070,n2:7070?acks=all&amp;linger.ms=5</c>.</summary>
    public ProducerBuilder(string connectionUri)
        : this(ProducerConfig.FromUri(connectionUri))
    {
    }

    public ProducerBuilder<TKey, TValue> SetKeySerializer(ISerializer<TKey> serializer)
    {
        _keySerializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        return this;
    }

    public ProducerBuilder<TKey, TValue> SetValueSerializer(ISerializer<TValue> serializer)
    {
        _valueSerializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        return this;
    }

    /// <summary>The clock for linger, timeouts and backoff; tests pass a fake one and advance it.</summary>
    public ProducerBuilder<TKey, TValue> SetTimeProvider(TimeProvider time)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        return this;
    }

    /// <summary>Validates the configuration (an <see cref="ArgumentException"/> names any bad key) and starts the producer.</summary>
    public IProducer<TKey, TValue> Build()
    {
        _config.Validate();
        return new Producer<TKey, TValue>(
            _config,
            _keySerializer ?? Serializers.Default<TKey>(),
            _valueSerializer ?? Serializers.Default<TValue>(),
            _time);
    }
}
