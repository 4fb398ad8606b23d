namespace LogCluster.Tests.Unit.Protocol;

/// <summary>CRC-32C one bit at a time from the reflected polynomial: slow, but obviously the specification.</summary>
internal static class ReferenceCrc32C
{
    private const uint ReflectedPolynomial = 0x82F63B78;

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ ReflectedPolynomial : crc >> 1;
            }
        }
        return crc ^ 0xFFFFFFFFu;
    }
}
