using System.Buffers.Binary;
using LogCluster.LogNode.Storage;

namespace LogCluster.LogNode.Producers;

/// <summary>
/// Hands out producer ids that are unique across restarts: ids come from blocks whose end is written durably
/// (<c>meta/producer-id-block</c>) before the first id of the block is given out, so a restart continues after
/// the last block, never inside it (KRaft allocates producer-id blocks the same way). Thread-safe.
/// </summary>
internal sealed class ProducerIdAllocator
{
    public const int BlockSize = 1000;
    private readonly Lock _lock = new();
    private readonly string _path;
    private long _next;
    private long _blockEnd;

    public ProducerIdAllocator(string dataDirectory)
    {
        _path = Path.Combine(dataDirectory, "meta", "producer-id-block");
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var bytes = File.Exists(_path) ? File.ReadAllBytes(_path) : [];
        _next = _blockEnd = bytes.Length == sizeof(long) ? BinaryPrimitives.ReadInt64BigEndian(bytes) : 0;
    }

    /// <summary>A new producer: a fresh id at epoch 0.</summary>
    public (long ProducerId, short Epoch) NewProducer()
    {
        lock (_lock)
        {
            if (_next == _blockEnd)
            {
                Span<byte> end = stackalloc byte[sizeof(long)];
                BinaryPrimitives.WriteInt64BigEndian(end, _blockEnd + BlockSize);
                SegmentFiles.WriteDurably(_path, end);
                _blockEnd += BlockSize;
            }
            return (_next++, 0);
        }
    }

    /// <summary>
    /// KIP-360: the same id at the next epoch, so the producer can reset its sequences after a batch whose fate it
    /// cannot know; a fresh id when the epoch would overflow int16.
    /// </summary>
    public (long ProducerId, short Epoch) Bump(long producerId, short epoch) =>
        epoch < short.MaxValue - 1 ? (producerId, (short)(epoch + 1)) : NewProducer();
}
