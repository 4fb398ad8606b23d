using System.Buffers.Binary;
using System.Numerics;

namespace LogCluster.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of RecordBatch v2. <see cref="BitOperations.Crc32C(uint, ulong)"/>
/// is the hardware crc32 instruction (SSE4.2 / ARMv8) with a software fallback; it accumulates without the
/// standard initial value and final XOR, which are applied here (check value: "123456789" -> 0xE3069283).
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    internal const uint Start = 0xFFFFFFFFu;

    internal static uint Finish(uint state) => state ^ 0xFFFFFFFFu;

    internal static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }
        foreach (var b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }
        return state;
    }
}
