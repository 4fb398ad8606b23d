using System.Threading.Channels;
using Grpc.Core;
using LogCluster.LogNode.Telemetry;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>The data plane over gRPC: the Produce stream, Fetch, ListOffsets and, for followers, OffsetForLeaderEpoch.</summary>
/// <remarks>
/// Open produce streams and long polls end when the node starts stopping, so a graceful stop (SIGTERM) does not
/// wait out the host's shutdown timeout for idle clients. Requests appended but not yet answered then get no
/// answer: the client retries them elsewhere, and an idempotent producer's retry is deduplicated.
/// </remarks>
internal sealed class LogServiceEndpoint(ProduceHandler produce, FetchHandler fetch, OffsetLookup offsets, IHostApplicationLifetime lifetime) : LogService.LogServiceBase
{
    /// <summary>Requests appended but not yet answered on one stream; beyond it the node stops reading (backpressure).</summary>
    private const int MaxPendingResponsesPerStream = 128;

    /// <summary>
    /// Reads requests in order and appends each before reading the next; a single writer loop sends the
    /// responses in the same order as their durability completes in sequence (one pending write per stream is
    /// all gRPC allows). Requests behind a slow fsync are appended meanwhile, so they share the next one.
    /// </summary>
    public override async Task Produce(IAsyncStreamReader<ProduceRequest> requestStream, IServerStreamWriter<ProduceResponse> responseStream, ServerCallContext context)
    {
        var pending = Channel.CreateBounded<Task<ProduceResponse?>>(new BoundedChannelOptions(MaxPendingResponsesPerStream)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        // If the writer fails, the reader must stop too, or it would append until the channel fills and then hang.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var writer = WriteResponsesAsync(pending.Reader, responseStream, stop);
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(stop.Token))
            {
                await pending.Writer.WriteAsync(produce.Handle(request), stop.Token);
            }
        }
        finally
        {
            // Whatever ended the reading, answer what was appended (or surface why the writer could not).
            pending.Writer.TryComplete();
            await writer;
        }
    }

    private static async Task WriteResponsesAsync(ChannelReader<Task<ProduceResponse?>> pending, IServerStreamWriter<ProduceResponse> responses, CancellationTokenSource stop)
    {
        try
        {
            await foreach (var next in pending.ReadAllAsync(stop.Token))
            {
                if (await next is { } response)
                {
                    await responses.WriteAsync(response, stop.Token);
                }
            }
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    public override async Task<FetchResponse> Fetch(FetchRequest request, ServerCallContext context)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        using var span = NodeTracing.Enabled ? NodeTracing.StartFetch(request, context.RequestHeaders.GetValue("traceparent")) : null;
        return await fetch.FetchAsync(request, stop.Token);
    }

    public override Task<ListOffsetsResponse> ListOffsets(ListOffsetsRequest request, ServerCallContext context) =>
        Task.FromResult(offsets.Lookup(request));

    public override Task<OffsetForLeaderEpochResponse> OffsetForLeaderEpoch(OffsetForLeaderEpochRequest request, ServerCallContext context) =>
        Task.FromResult(offsets.EpochEnds(request));
}
