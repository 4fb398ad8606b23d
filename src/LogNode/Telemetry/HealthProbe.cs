using Grpc.Health.V1;
using Grpc.Net.Client;

namespace LogCluster.LogNode.Telemetry;

/// <summary>
/// <c>LogNode probe [host:port]</c>: asks a node's gRPC health service and exits 0 when it is SERVING. Container
/// health checks run it, so images need no separate grpc_health_probe binary.
/// </summary>
internal static class HealthProbe
{
    public const string Verb = "probe";

    public static async Task<int> RunAsync(string address, TextWriter output)
    {
        using var channel = GrpcChannel.ForAddress($"http://{address}");
        try
        {
            var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(3));
            await output.WriteLineAsync($"{address}: {response.Status}");
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
        }
        catch (Grpc.Core.RpcException e)
        {
            await output.WriteLineAsync($"{address}: {e.StatusCode} {e.Status.Detail}");
            return 1;
        }
    }
}
