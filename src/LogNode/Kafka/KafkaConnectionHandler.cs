using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Threading.Channels;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Telemetry;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace LogCluster.LogNode.Kafka;

/// <summary>
/// One Kafka client connection on Kestrel's sockets and pipes. A reader decodes size-prefixed frames and starts
/// each request's handling at once; a writer answers them strictly in the order they arrived, as Kafka requires.
/// At most <see cref="MaxInFlight"/> requests are handled at a time (the reader waits for the writer beyond that).
/// A frame that is too large, cut short or malformed, or an API or version not served, closes the connection with a
/// log line (ApiVersions excepted: a version it does not know is answered UNSUPPORTED_VERSION in version 0, as Kafka
/// does, so a newer client can fall back). A connection silent for connections.max.idle.ms is closed.
/// </summary>
internal sealed class KafkaConnectionHandler(IServiceProvider services, IOptions<NodeOptions> options, NodeMetrics metrics, ILogger<KafkaConnectionHandler> logger) : ConnectionHandler
{
    /// <summary>
    /// Resolved at the first connection, not when Kestrel creates this handler while it binds: the APIs depend on
    /// the replica manager, which depends on the server being built, and resolving them then never returns.
    /// </summary>
    private readonly Lazy<ServedKafkaApis> _apis = new(services.GetRequiredService<ServedKafkaApis>, LazyThreadSafetyMode.PublicationOnly);

    /// <summary>Requests handled at once per connection: librdkafka pipelines up to 5 produce requests, Java clients 5.</summary>
    public const int MaxInFlight = 16;

    private sealed record Pending(int CorrelationId, short ApiKey, short Version, bool FlexibleResponse, Task<IKafkaMessage?> Response, byte[] Frame);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var pending = Channel.CreateBounded<Pending>(new BoundedChannelOptions(MaxInFlight) { SingleReader = true, SingleWriter = true });
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        var writer = WriteResponsesAsync(connection, pending.Reader, closing);
        try
        {
            await ReadRequestsAsync(connection, pending.Writer, closing.Token).ConfigureAwait(false);
        }
        finally
        {
            pending.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            await closing.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task ReadRequestsAsync(ConnectionContext connection, ChannelWriter<Pending> pending, CancellationToken closing)
    {
        var input = connection.Transport.Input;
        var idle = TimeSpan.FromMilliseconds(options.Value.KafkaIdleTimeoutMs);
        var frames = new FrameAssembler(options.Value.MaxRequestBytes);
        while (true)
        {
            ReadResult read;
            using (var idleTimer = CancellationTokenSource.CreateLinkedTokenSource(closing))
            {
                idleTimer.CancelAfter(idle);
                try
                {
                    read = await input.ReadAsync(idleTimer.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!closing.IsCancellationRequested)
                {
                    KafkaLog.IdleClosed(logger, connection.ConnectionId, idle.TotalMilliseconds);
                    return;
                }
                catch (Exception e) when (e is ConnectionResetException or IOException or OperationCanceledException)
                {
                    return; // The client went away: nothing to answer.
                }
            }
            var buffer = read.Buffer;
            try
            {
                while (true)
                {
                    var taken = frames.Take(ref buffer, out var frame);
                    if (taken == FrameAssembler.Result.NeedMore)
                    {
                        break;
                    }
                    if (taken == FrameAssembler.Result.BadSize)
                    {
                        KafkaLog.BadFrameSize(logger, connection.ConnectionId, frames.BadSize, options.Value.MaxRequestBytes);
                        metrics.KafkaConnectionClosed(-1, "bad_frame_size");
                        return;
                    }
                    if (!await StartAsync(frame, connection.ConnectionId, pending, closing).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (read.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>Decodes the header and starts the request's handling; false when the connection must close.</summary>
    private async ValueTask<bool> StartAsync(byte[] frame, string connectionId, ChannelWriter<Pending> pending, CancellationToken closing)
    {
        var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
        var version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
        if (!_apis.Value.TryGet(apiKey, out var api))
        {
            KafkaLog.UnknownApi(logger, connectionId, apiKey, version);
            metrics.KafkaConnectionClosed(apiKey, "unknown_api");
            return false;
        }
        Task<IKafkaMessage?> response;
        var flexible = version >= api.FlexibleFrom;
        if (version < api.LowestVersion || version > api.HighestVersion)
        {
            if (apiKey != ApiVersionsRequest.ApiKey)
            {
                KafkaLog.UnsupportedVersion(logger, connectionId, apiKey, version, api.LowestVersion, api.HighestVersion);
                metrics.KafkaConnectionClosed(apiKey, "unsupported_version");
                return false;
            }
            // Answered in version 0, which every client reads: the error and the versions served.
            response = Task.FromResult<IKafkaMessage?>(_apis.Value.Versions(KafkaErrors.UnsupportedVersion));
            version = 0;
            flexible = false;
        }
        else
        {
            try
            {
                var reader = new KafkaReader(frame);
                var header = RequestHeader.Read(ref reader, flexible ? (short)2 : (short)1);
                var request = new KafkaRequest(apiKey, version, correlationId, header.ClientId, frame.AsMemory(reader.Position));
                metrics.KafkaRequest(apiKey, version);
                response = api.HandleAsync(request, closing);
            }
            catch (KafkaProtocolException e)
            {
                KafkaLog.MalformedRequest(logger, connectionId, apiKey, version, e.Message);
                metrics.KafkaConnectionClosed(apiKey, "malformed");
                return false;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Answered in its turn: the writer logs it and closes, after the responses before it.
                response = Task.FromException<IKafkaMessage?>(e);
            }
        }
        try
        {
            await pending.WriteAsync(new Pending(correlationId, apiKey, version, flexible, response, frame), closing).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            return false;
        }
    }

    private async Task WriteResponsesAsync(ConnectionContext connection, ChannelReader<Pending> pending, CancellationTokenSource stop)
    {
        var output = connection.Transport.Output;
        var closing = stop.Token;
        try
        {
            await foreach (var request in pending.ReadAllAsync(closing).ConfigureAwait(false))
            {
                IKafkaMessage? response;
                try
                {
                    response = await request.Response.ConfigureAwait(false);
                }
                catch (KafkaProtocolException e)
                {
                    KafkaLog.MalformedRequest(logger, connection.ConnectionId, request.ApiKey, request.Version, e.Message);
                    metrics.KafkaConnectionClosed(request.ApiKey, "malformed");
                    connection.Abort();
                    return;
                }
                catch (KafkaCloseConnectionException e)
                {
                    KafkaLog.ClosedByProtocol(logger, connection.ConnectionId, e.Message);
                    metrics.KafkaConnectionClosed(request.ApiKey, "protocol");
                    connection.Abort();
                    return;
                }
                if (response is null)
                {
                    continue;
                }
                WriteFrame(output, request, response);
                var flushed = await output.FlushAsync(closing).ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The client went away or the node stops: the rest has nobody to read it.
        }
        catch (Exception e)
        {
            // A handler bug must cost this connection, never the node.
            KafkaLog.HandlerFailed(logger, e, connection.ConnectionId);
            metrics.KafkaConnectionClosed(-1, "handler_failed");
            connection.Abort();
        }
        finally
        {
            // Nothing more will be answered: a reader waiting for room in the channel must stop too.
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Size, response header (v0, or v1 for a flexible response other than ApiVersions) and body.</summary>
    private static void WriteFrame(PipeWriter output, Pending request, IKafkaMessage response)
    {
        var body = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(body);
        var headerVersion = request.FlexibleResponse && request.ApiKey != ApiVersionsRequest.ApiKey ? (short)1 : (short)0;
        new ResponseHeader { CorrelationId = request.CorrelationId }.Write(writer, headerVersion);
        response.Write(writer, request.Version);
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), body.WrittenCount);
        output.Advance(4);
        output.Write(body.WrittenSpan);
    }
}
