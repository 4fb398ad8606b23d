namespace LogCluster.Consumer;

/// <summary>Builds a consumer from a config and the key and value deserializers (defaults exist for byte[], string, int and long).</summary>
public sealed class ConsumerBuilder<TKey, TValue>(ConsumerConfig config)
{
    private IDeserializer<TKey>? _keyDeserializer;
    private IDeserializer<TValue>? _valueDeserializer;

    public ConsumerBuilder<TKey, TValue> SetKeyDeserializer(IDeserializer<TKey> deserializer)
    {
        _keyDeserializer = deserializer;
        return this;
    }

    public ConsumerBuilder<TKey, TValue> SetValueDeserializer(IDeserializer<TValue> deserializer)
    {
        _valueDeserializer = deserializer;
        return this;
    }

    /// <summary>Validates the config (an <see cref="ArgumentException"/> names the bad key) and starts the consumer's fetcher.</summary>
    public IConsumer<TKey, TValue> Build()
    {
        config.Validate();
        return new Consumer<TKey, TValue>(
            config,
            _keyDeserializer ?? Deserializers.Default<TKey>(),
            _valueDeserializer ?? Deserializers.Default<TValue>(),
            TimeProvider.System);
    }
}
