using System.Buffers;
using Grpc.Core;

namespace LogCluster.Client.Transport;

/// <summary>
/// Serializes a request straight into its gRPC frame: a 5-byte prefix (uncompressed flag, big-endian length)
/// followed by the message, in one array that the writer thread sends as DATA without another copy.
/// </summary>
internal sealed class GrpcFrameSerializationContext : SerializationContext
{
    private byte[]? _frame;
    private FrameWriter? _writer;

    public static byte[] Serialize<T>(Marshaller<T> marshaller, T message)
    {
        var context = new GrpcFrameSerializationContext();
        marshaller.ContextualSerializer(message, context);
        return context._frame ?? throw new InvalidOperationException("the serializer completed no payload");
    }

    public override void SetPayloadLength(int payloadLength) => _frame = NewFrame(payloadLength);

    public override IBufferWriter<byte> GetBufferWriter() =>
        _writer ??= new FrameWriter(_frame ?? throw new InvalidOperationException("SetPayloadLength must come before GetBufferWriter"));

    public override void Complete()
    {
        if (_writer is null || _writer.Written != _frame!.Length - 5)
        {
            throw new InvalidOperationException("the serializer wrote fewer bytes than it announced");
        }
    }

    public override void Complete(byte[] payload)
    {
        _frame = NewFrame(payload.Length);
        payload.CopyTo(_frame.AsSpan(5));
    }

    private static byte[] NewFrame(int payloadLength)
    {
        var frame = new byte[5 + payloadLength];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payloadLength);
        return frame;
    }

    /// <summary>Writes into the frame after its prefix; the announced length is all there is room for.</summary>
    private sealed class FrameWriter(byte[] frame) : IBufferWriter<byte>
    {
        public int Written { get; private set; }

        public void Advance(int count) => Written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => frame.AsMemory(5 + Written);

        public Span<byte> GetSpan(int sizeHint = 0) => frame.AsSpan(5 + Written);
    }
}

/// <summary>Hands a received message's bytes (the call's reassembly buffer) to a deserializer without copying them first.</summary>
internal sealed class BufferDeserializationContext(ReadOnlyMemory<byte> payload) : DeserializationContext
{
    public override int PayloadLength => payload.Length;

    public override byte[] PayloadAsNewBuffer() => payload.ToArray();

    public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
}
