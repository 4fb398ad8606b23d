using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace LogCluster.Consumer;

/// <summary>
/// The built-in deserializers, the inverses of the producer's Serializers: integers big-endian, strings UTF-8,
/// JSON by System.Text.Json; a null key or value stays null.
/// </summary>
public static class Deserializers
{
    /// <summary>The bytes unchanged.</summary>
    public static IDeserializer<byte[]?> ByteArray { get; } = new ByteArrayDeserializer();

    /// <summary>UTF-8.</summary>
    public static IDeserializer<string?> Utf8 { get; } = new Utf8Deserializer();

    /// <summary>4 bytes, big-endian.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Named as Confluent.Kafka names it: Deserializers.Int32.")]
    public static IDeserializer<int> Int32 { get; } = new Int32Deserializer();

    /// <summary>8 bytes, big-endian.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Named as Confluent.Kafka names it: Deserializers.Int64.")]
    public static IDeserializer<long> Int64 { get; } = new Int64Deserializer();

    /// <summary>UTF-8 JSON by System.Text.Json; null bytes give default(T).</summary>
    public static IDeserializer<T?> Json<T>(JsonSerializerOptions? options = null) => new JsonDeserializer<T>(options);

    /// <summary>The deserializer used when the builder was given none: only types with one obvious encoding have one.</summary>
    internal static IDeserializer<T> Default<T>()
    {
        // The casts go through object because the compiler cannot relate T to the concrete types.
        if (typeof(T) == typeof(byte[]))
        {
            return (IDeserializer<T>)(object)ByteArray;
        }
        if (typeof(T) == typeof(string))
        {
            return (IDeserializer<T>)(object)Utf8;
        }
        if (typeof(T) == typeof(int))
        {
            return (IDeserializer<T>)(object)Int32;
        }
        if (typeof(T) == typeof(long))
        {
            return (IDeserializer<T>)(object)Int64;
        }
        throw new InvalidOperationException(
            $"There is no default deserializer for {typeof(T)}: call SetKeyDeserializer or SetValueDeserializer on the consumer builder " +
            "(for example with Deserializers.Json<T>()).");
    }

    private sealed class ByteArrayDeserializer : IDeserializer<byte[]?>
    {
        public byte[]? Deserialize(byte[]? data, DeserializationContext context) => data;
    }

    private sealed class Utf8Deserializer : IDeserializer<string?>
    {
        public string? Deserialize(byte[]? data, DeserializationContext context) => data is null ? null : Encoding.UTF8.GetString(data);
    }

    private sealed class Int32Deserializer : IDeserializer<int>
    {
        public int Deserialize(byte[]? data, DeserializationContext context) =>
            data is { Length: sizeof(int) } ? BinaryPrimitives.ReadInt32BigEndian(data) : throw WrongLength(data, sizeof(int));
    }

    private sealed class Int64Deserializer : IDeserializer<long>
    {
        public long Deserialize(byte[]? data, DeserializationContext context) =>
            data is { Length: sizeof(long) } ? BinaryPrimitives.ReadInt64BigEndian(data) : throw WrongLength(data, sizeof(long));
    }

    private sealed class JsonDeserializer<T>(JsonSerializerOptions? options) : IDeserializer<T?>
    {
        public T? Deserialize(byte[]? data, DeserializationContext context) => data is null ? default : JsonSerializer.Deserialize<T>(data, options);
    }

    private static FormatException WrongLength(byte[]? data, int expected) =>
        new($"expected {expected} bytes, got {(data is null ? "null" : data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
}
