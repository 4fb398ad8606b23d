using System.Buffers;
using System.Buffers.Binary;

namespace LogCluster.LogNode.Kafka;

/// <summary>
/// Cuts one connection's bytes into size-prefixed frames, copying each into an array of its own as its bytes arrive:
/// the pipe's buffer is consumed at once, so a frame larger than the transport's read buffer (1 MiB) still completes,
/// and a request's body slices outlive the pipe's memory. A size below 8 or above the maximum is refused before
/// anything is allocated.
/// </summary>
internal sealed class FrameAssembler(int maxBytes)
{
    public enum Result
    {
        NeedMore,
        Complete,
        BadSize,
    }

    private byte[]? _frame;
    private int _filled;

    /// <summary>The size a refused frame claimed.</summary>
    public int BadSize { get; private set; }

    public Result Take(ref ReadOnlySequence<byte> buffer, out byte[] frame)
    {
        frame = [];
        if (_frame is null)
        {
            if (buffer.Length < 4)
            {
                return Result.NeedMore;
            }
            Span<byte> prefix = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(prefix);
            var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (size < 8 || size > maxBytes)
            {
                BadSize = size;
                return Result.BadSize;
            }
            _frame = new byte[size];
            _filled = 0;
            buffer = buffer.Slice(4);
        }
        var take = (int)Math.Min(buffer.Length, _frame.Length - _filled);
        buffer.Slice(0, take).CopyTo(_frame.AsSpan(_filled));
        _filled += take;
        buffer = buffer.Slice(take);
        if (_filled < _frame.Length)
        {
            return Result.NeedMore;
        }
        frame = _frame;
        _frame = null;
        return Result.Complete;
    }
}
