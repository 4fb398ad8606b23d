namespace LogCluster.Consumer;

/// <summary>Builds a consumer from a config and the key and value deserializers (defaults exist for byte[], string, int and long).</summary>
public sealed class ConsumerBuilder<TKey, TValue>(ConsumerConfig config)
{
    private IDeserializer<TKey>? _keyDeserializer;
    private IDeserializer<TValue>? _valueDeserializer;
    private Action<IConsumer<TKey, TValue>, IReadOnlyList<TopicPartition>>? _assigned;
    private Action<IConsumer<TKey, TValue>, IReadOnlyList<TopicPartition>>? _revoked;

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

    /// <summary>Called inside Consume after the group gave this member partitions (they start at the committed offsets).</summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsAssignedHandler(Action<IConsumer<TKey, TValue>, IReadOnlyList<TopicPartition>> handler)
    {
        _assigned = handler;
        return this;
    }

    /// <summary>
    /// Called inside Consume before partitions go to another member, while they are still this member's: commit
    /// what was processed here (enable.auto.commit has committed the positions already).
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsRevokedHandler(Action<IConsumer<TKey, TValue>, IReadOnlyList<TopicPartition>> handler)
    {
        _revoked = handler;
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
            new RebalanceHandlers<TKey, TValue>(_assigned, _revoked),
            TimeProvider.System);
    }
}
