namespace LogCluster.Producer;

/// <summary>
/// Turns a key or value into the bytes of a record. Returning null writes a null key or value, which is how
/// tombstones reach compacted topics. An exception thrown here fails the one send that called it.
/// </summary>
/// <typeparam name="T">The type the producer is given; contravariant so an <c>ISerializer&lt;object&gt;</c> serves any type.</typeparam>
public interface ISerializer<in T>
{
    byte[]? Serialize(T data, SerializationContext context);
}
