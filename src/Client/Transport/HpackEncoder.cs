using System.Text;

namespace LogCluster.Client.Transport;

/// <summary>
/// Writes request header blocks as HPACK literals without indexing (RFC 7541 6.2.2), names and values as plain
/// strings: no dynamic table, so nothing to keep in step with the server. A request's headers are a few dozen
/// bytes; compressing them would save less than it costs.
/// </summary>
internal static class HpackEncoder
{
    public static void Write(List<byte> block, string name, string value)
    {
        // 0000 0000: literal without indexing, new name.
        block.Add(0);
        WriteString(block, name);
        WriteString(block, value);
    }

    private static void WriteString(List<byte> block, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        WriteInteger(block, bytes.Length, 7, 0);
        block.AddRange(bytes);
    }

    internal static void WriteInteger(List<byte> block, int value, int prefixBits, byte flags)
    {
        var mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            block.Add((byte)(flags | value));
            return;
        }
        block.Add((byte)(flags | mask));
        value -= mask;
        while (value >= 0x80)
        {
            block.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }
        block.Add((byte)value);
    }
}
