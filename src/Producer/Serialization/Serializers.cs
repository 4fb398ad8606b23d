using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace LogCluster.Producer;

/// <summary>
/// The built-in serializers. Integers are big-endian, as Kafka's IntegerSerializer and LongSerializer and
/// Confluent.Kafka write them, so records interoperate with consumers written against those clients.
/// </summary>
public static class Serializers
{
    /// <summary>Passes the bytes through unchanged; null stays null.</summary>
    public static ISerializer<byte[]?> ByteArray { get; } = new ByteArraySerializer();

    /// <summary>UTF-8 without a byte order mark; null stays null.</summary>
    public static ISerializer<string?> Utf8 { get; } = new Utf8Serializer();

    /// <summary>4 bytes, big-endian.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Named as Confluent.Kafka names it: Serializers.Int32.")]
    public static ISerializer<int> Int32 { get; } = new Int32Serializer();

    /// <summary>8 bytes, big-endian.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Named as Confluent.Kafka names it: Serializers.Int64.")]
    public static ISerializer<long> Int64 { get; } = new Int64Serializer();

    /// <summary>UTF-8 JSON by System.Text.Json; a null object is a null key or value, not the text <c>null</c>.</summary>
    public static ISerializer<T> Json<T>(JsonSerializerOptions? options = null) => new JsonTextSerializer<T>(options);

    /// <summary>The serializer used when the builder was given none: only types with one obvious encoding have one.</summary>
    internal static ISerializer<T> Default<T>()
    {
        // The casts go through object because the compiler cannot relate T to the concrete types.
        if (typeof(T) == typeof(byte[]))
        {
            return (ISerializer<T>)(object)ByteArray;
        }
        if (typeof(T) == typeof(string))
        {
            return (ISerializer<T>)(object)Utf8;
        }
        if (typeof(T) == typeof(int))
        {
            return (ISerializer<T>)(object)Int32;
        }
        if (typeof(T) == typeof(long))
        {
            return (ISerializer<T>)(object)Int64;
        }
        throw new InvalidOperationException(
            $"There is no default serializer for {typeof(T)}: call SetKeySerializer or SetValueSerializer on the producer builder " +
            "(for example with Serializers.Json<T>()).");
    }

    private sealed class ByteArraySerializer : ISerializer<byte[]?>
    {
        public byte[]? Serialize(byte[]? data, SerializationContext context) => data;
    }

    private sealed class Utf8Serializer : ISerializer<string?>
    {
        public byte[]? Serialize(string? data, SerializationContext context) =>
            data is null ? null : Encoding.UTF8.GetBytes(data);
    }

    private sealed class Int32Serializer : ISerializer<int>
    {
        public byte[]? Serialize(int data, SerializationContext context)
        {
            var bytes = new byte[sizeof(int)];
            BinaryPrimitives.WriteInt32BigEndian(bytes, data);
            return bytes;
        }
    }

    private sealed class Int64Serializer : ISerializer<long>
    {
        public byte[]? Serialize(long data, SerializationContext context)
        {
            var bytes = new byte[sizeof(long)];
            BinaryPrimitives.WriteInt64BigEndian(bytes, data);
            return bytes;
        }
    }

    private sealed class JsonTextSerializer<T> : ISerializer<T>
    {
        private readonly JsonSerializerOptions? _options;

        public JsonTextSerializer(JsonSerializerOptions? options) => _options = options;

        public byte[]? Serialize(T data, SerializationContext context) =>
            data is null ? null : JsonSerializer.SerializeToUtf8Bytes(data, _options);
    }
}
