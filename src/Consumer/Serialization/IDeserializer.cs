namespace LogCluster.Consumer;

/// <summary>
/// Turns the bytes of a record's key or value back into an object; the bytes are null for a null
/// key or value. An exception thrown here surfaces from Consume as LOCAL_SERIALIZATION, and the position stays
/// on the record, as Confluent.Kafka's consumer does.
/// </summary>
/// <typeparam name="T">The type the application reads.</typeparam>
public interface IDeserializer<out T>
{
    T Deserialize(byte[]? data, DeserializationContext context);
}

/// <summary>Where the bytes came from.</summary>
/// <param name="Topic">The topic of the record being deserialized.</param>
/// <param name="IsKey">True when deserializing the key, false for the value.</param>
public readonly record struct DeserializationContext(string Topic, bool IsKey);
