using System.Text;

namespace LogCluster.Client.Transport;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) from one connection's peer: static and dynamic table, integers and
/// string literals. Huffman-coded strings are refused: Kestrel, the only server LogNode runs, never sends them
/// (its encoder writes plain literals), and an intermediary that does gets a clear connection error instead of
/// headers read wrongly. Used by the connection's reader thread only.
/// </summary>
internal sealed class HpackDecoder
{
    private readonly LinkedList<(string Name, string Value)> _dynamic = new();
    private int _dynamicSize;
    private int _maxDynamicSize = 4096;

    /// <summary>Decodes one complete header block into name/value pairs (names as sent: lower case in HTTP/2).</summary>
    public List<(string Name, string Value)> Decode(ReadOnlySpan<byte> block)
    {
        var headers = new List<(string, string)>();
        var position = 0;
        while (position < block.Length)
        {
            var first = block[position];
            if ((first & 0x80) != 0)
            {
                headers.Add(Lookup(ReadInteger(block, ref position, 7)));
            }
            else if ((first & 0x40) != 0)
            {
                var header = ReadLiteral(block, ref position, 6);
                headers.Add(header);
                Insert(header);
            }
            else if ((first & 0x20) != 0)
            {
                var size = ReadInteger(block, ref position, 5);
                // We never announce more than the default 4096 (SETTINGS_HEADER_TABLE_SIZE is left at its default).
                if (size > 4096)
                {
                    throw new Http2ProtocolException($"HPACK table size update to {size} exceeds 4096");
                }
                _maxDynamicSize = size;
                Evict(0);
            }
            else
            {
                // Literal without indexing (0000) or never indexed (0001): same layout, 4-bit prefix.
                headers.Add(ReadLiteral(block, ref position, 4));
            }
        }
        return headers;
    }

    private (string Name, string Value) ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var nameIndex = ReadInteger(block, ref position, prefixBits);
        var name = nameIndex == 0 ? ReadString(block, ref position) : Lookup(nameIndex).Name;
        return (name, ReadString(block, ref position));
    }

    private (string Name, string Value) Lookup(int index)
    {
        if (index >= 1 && index <= HpackStaticTable.Count)
        {
            return HpackStaticTable.Get(index);
        }
        var dynamicIndex = index - HpackStaticTable.Count - 1;
        if (index <= 0 || dynamicIndex >= _dynamic.Count)
        {
            throw new Http2ProtocolException($"HPACK index {index} is not in the table");
        }
        return _dynamic.ElementAt(dynamicIndex);
    }

    private void Insert((string Name, string Value) header)
    {
        var size = EntrySize(header);
        Evict(size);
        if (size <= _maxDynamicSize)
        {
            _dynamic.AddFirst(header);
            _dynamicSize += size;
        }
    }

    private void Evict(int room)
    {
        while (_dynamic.Count > 0 && _dynamicSize + room > _maxDynamicSize)
        {
            _dynamicSize -= EntrySize(_dynamic.Last!.Value);
            _dynamic.RemoveLast();
        }
    }

    /// <summary>RFC 7541 4.1: an entry costs its name and value octets plus 32.</summary>
    private static int EntrySize((string Name, string Value) header) => Encoding.UTF8.GetByteCount(header.Name) + Encoding.UTF8.GetByteCount(header.Value) + 32;

    private static string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw new Http2ProtocolException("HPACK string literal is truncated");
        }
        if ((block[position] & 0x80) != 0)
        {
            throw new Http2ProtocolException("HPACK Huffman-coded strings are not supported by this client");
        }
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new Http2ProtocolException("HPACK string literal is truncated");
        }
        var text = Encoding.UTF8.GetString(block.Slice(position, length));
        position += length;
        return text;
    }

    /// <summary>RFC 7541 5.1: an N-bit prefix, then 7 bits per continuation octet.</summary>
    internal static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        if (position >= block.Length)
        {
            throw new Http2ProtocolException("HPACK integer is truncated");
        }
        var mask = (1 << prefixBits) - 1;
        var value = block[position++] & mask;
        if (value < mask)
        {
            return value;
        }
        var shift = 0;
        while (true)
        {
            if (position >= block.Length || shift > 21)
            {
                throw new Http2ProtocolException("HPACK integer is truncated or too large");
            }
            var next = block[position++];
            value += (next & 0x7F) << shift;
            shift += 7;
            if ((next & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
