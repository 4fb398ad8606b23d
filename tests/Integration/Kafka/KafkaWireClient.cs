using System.Buffers.Binary;
using System.Net.Sockets;

namespace LogCluster.Tests.Integration.Kafka;

/// <summary>A raw Kafka connection for tests that need exact bytes: frames out, frames in, nothing interpreted.</summary>
internal sealed class KafkaWireClient : IDisposable
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);
    private readonly TcpClient _client = new();
    private NetworkStream? _stream;

    public static async Task<KafkaWireClient> ConnectAsync(int port)
    {
        var client = new KafkaWireClient();
        using var timeout = new CancellationTokenSource(_timeout);
        await client._client.ConnectAsync("127.0.0.1", port, timeout.Token);
        client._stream = client._client.GetStream();
        return client;
    }

    private NetworkStream Stream => _stream ?? throw new InvalidOperationException("not connected");

    /// <summary>Sends raw bytes as they are (several frames, half a frame, a lying size prefix).</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(_timeout);
        await Stream.WriteAsync(bytes, timeout.Token);
    }

    /// <summary>Sends one request: its size, then its bytes (header and body).</summary>
    public Task SendAsync(byte[] request) => SendRawAsync(Frame(request));

    public static byte[] Frame(byte[] request)
    {
        var frame = new byte[4 + request.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, request.Length);
        request.CopyTo(frame, 4);
        return frame;
    }

    /// <summary>The next response's bytes after its size prefix, or null when the node closed the connection.</summary>
    public async Task<byte[]?> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(_timeout);
        var prefix = new byte[4];
        if (!await ReadExactlyAsync(prefix, timeout.Token))
        {
            return null;
        }
        var response = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        return await ReadExactlyAsync(response, timeout.Token) ? response : null;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await Stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}
