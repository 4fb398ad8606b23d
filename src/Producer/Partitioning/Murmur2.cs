using System.Buffers.Binary;

namespace LogCluster.Producer.Partitioning;

/// <summary>
/// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), bit for bit: keyed records must land on the
/// partition a Java, librdkafka (murmur2_random) or kafkajs producer would pick, or per-key order breaks
/// when clients are mixed.
/// </summary>
internal static class Murmur2
{
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    public static int Hash(ReadOnlySpan<byte> data)
    {
        // Java does this in wrapping int arithmetic; uint gives the same bits and makes >>> a plain >>.
        unchecked
        {
            var length = data.Length;
            var h = Seed ^ (uint)length;
            var wholeWords = length & ~3;

            for (var i = 0; i < wholeWords; i += 4)
            {
                var k = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
                k *= M;
                k ^= k >> R;
                k *= M;
                h *= M;
                h ^= k;
            }

            // The 1 to 3 trailing bytes fall through from the highest, as in Java's switch.
            switch (length % 4)
            {
                case 3:
                    h ^= (uint)data[wholeWords + 2] << 16;
                    goto case 2;
                case 2:
                    h ^= (uint)data[wholeWords + 1] << 8;
                    goto case 1;
                case 1:
                    h ^= data[wholeWords];
                    h *= M;
                    break;
            }

            h ^= h >> 13;
            h *= M;
            h ^= h >> 15;
            return (int)h;
        }
    }

    /// <summary>Java's <c>BuiltInPartitioner.partitionForKey</c>: <c>toPositive(murmur2(key)) % partitionCount</c>.</summary>
    public static int PartitionForKey(ReadOnlySpan<byte> key, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        // Masking the sign bit, not Math.Abs: Abs(int.MinValue) overflows, and the mask is what Java does.
        return (Hash(key) & 0x7fffffff) % partitionCount;
    }
}
