using System.Buffers.Binary;

namespace LogCluster.Client.Transport;

/// <summary>HTTP/2 frame types, flags, settings and error codes (RFC 9113) used by <see cref="Http2Connection"/>.</summary>
internal static class Http2Frames
{
    public const int HeaderLength = 9;

    /// <summary>Our SETTINGS_MAX_FRAME_SIZE is the default; the peer's may be larger and bounds what we send.</summary>
    public const int DefaultMaxFrameSize = 16384;

    /// <summary>The window every stream and the connection start with before SETTINGS (RFC 9113 6.9.2).</summary>
    public const int DefaultWindow = 65535;

    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public const byte Data = 0x0, Headers = 0x1, Priority = 0x2, RstStream = 0x3, Settings = 0x4, PushPromise = 0x5,
        Ping = 0x6, GoAway = 0x7, WindowUpdate = 0x8, Continuation = 0x9;

    public const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, PriorityFlag = 0x20;

    public const ushort SettingHeaderTableSize = 0x1, SettingEnablePush = 0x2, SettingMaxConcurrentStreams = 0x3,
        SettingInitialWindowSize = 0x4, SettingMaxFrameSize = 0x5;

    public const uint NoError = 0x0, ProtocolError = 0x1, FlowControlError = 0x3, Cancel = 0x8, RefusedStream = 0x7;

    public static void WriteHeader(Span<byte> destination, int length, byte type, byte flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = type;
        destination[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], streamId & 0x7FFFFFFF);
    }

    /// <summary>A whole frame with its payload, for the writer's queue.</summary>
    public static byte[] Frame(byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        WriteHeader(frame, payload.Length, type, flags, streamId);
        payload.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    public static byte[] WindowUpdateFrame(int streamId, int increment)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        return Frame(WindowUpdate, 0, streamId, payload);
    }

    public static byte[] RstStreamFrame(int streamId, uint errorCode)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, errorCode);
        return Frame(RstStream, 0, streamId, payload);
    }

    public static byte[] SettingsFrame(params ReadOnlySpan<(ushort Id, uint Value)> settings)
    {
        var payload = new byte[settings.Length * 6];
        for (var i = 0; i < settings.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(i * 6), settings[i].Id);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan((i * 6) + 2), settings[i].Value);
        }
        return Frame(Settings, 0, 0, payload);
    }
}

/// <summary>The peer broke HTTP/2 or HPACK rules: the connection is closed and its calls fail.</summary>
internal sealed class Http2ProtocolException(string message) : Exception(message);
