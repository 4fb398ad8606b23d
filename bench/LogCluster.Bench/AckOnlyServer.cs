using Grpc.Core;
using LogCluster.Protocol.V1;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LogCluster.Bench;

/// <summary>
/// The transport baseline: the same Produce stream as LogNode, served by the same Kestrel and gRPC settings,
/// answering every batch at once without validating or storing it. LogNode's figures divided by these show
/// what storage costs on top of gRPC.
/// </summary>
internal sealed class AckOnlyLogService : LogService.LogServiceBase
{
    public override async Task Produce(IAsyncStreamReader<ProduceRequest> requestStream, IServerStreamWriter<ProduceResponse> responseStream, ServerCallContext context)
    {
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var response = new ProduceResponse { CorrelationId = request.CorrelationId };
            foreach (var batch in request.Batches)
            {
                response.Results.Add(new PartitionProduceResult { Topic = batch.Topic, Partition = batch.Partition, BaseOffset = 0, LogAppendTimeMs = -1 });
            }
            await responseStream.WriteAsync(response, context.CancellationToken);
        }
    }
}

internal static class AckOnlyServer
{
    /// <summary>Runs until killed; prints LogNode's start-up line so the same launcher can start it.</summary>
    public static async Task<int> RunAsync(string listen)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPEndPoint.Parse(listen), o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 104_857_600);
        var app = builder.Build();
        app.MapGrpcService<AckOnlyLogService>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var address = new Uri(app.Urls.First());
            Console.WriteLine($"LogNode -1 listening on http://127.0.0.1:{address.Port} data-dir none");
        });
        await app.RunAsync();
        return 0;
    }
}
