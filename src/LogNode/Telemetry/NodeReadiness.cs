using LogCluster.LogNode.Replication;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LogCluster.LogNode.Telemetry;

/// <summary>
/// What the gRPC health service reports: SERVING once the controller has registered this process (from then on
/// it serves its partitions), NOT_SERVING before. Orchestrators use it to wait for a node and to route to it.
/// </summary>
internal sealed class NodeReadiness(ReplicaManager replicas) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(replicas.Registered.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy("registered with the controller")
            : HealthCheckResult.Unhealthy("not yet registered with the controller"));
}
