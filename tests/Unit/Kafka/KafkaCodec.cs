using System.Buffers;
using LogCluster.LogNode.Kafka.Wire;

namespace LogCluster.Tests.Unit.Kafka;

/// <summary>Encoding and round trips of generated Kafka messages, for the codec tests.</summary>
internal static class KafkaCodec
{
    public delegate T Reader<T>(ref KafkaReader reader, short version);

    /// <summary>Writes <paramref name="message"/> at <paramref name="version"/> and reads it back, checking every byte was read.</summary>
    public static T RoundTrip<T>(T message, short version, Reader<T> read)
        where T : IKafkaMessage
    {
        var bytes = Encode(w => message.Write(w, version));
        var reader = new KafkaReader(bytes);
        var result = read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        // What was read writes the same bytes again: nothing was lost or defaulted on the way.
        Assert.Equal(bytes, Encode(w => result.Write(w, version)));
        return result;
    }

    public static byte[] Encode(Action<KafkaWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(new KafkaWriter(output));
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Every version from <paramref name="lowest"/> to <paramref name="highest"/>, for a theory.</summary>
    public static TheoryData<short> Versions(short lowest, short highest) => [.. Enumerable.Range(lowest, highest - lowest + 1).Select(v => (short)v)];
}
