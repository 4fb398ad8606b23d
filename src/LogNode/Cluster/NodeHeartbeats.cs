using LogCluster.LogNode.Metadata.Controller;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Cluster;

/// <summary>
/// Tells the controller, every heartbeat interval, that this node is alive and where clients reach it. The first
/// heartbeat registers the node; one from a new process (new incarnation) makes the controller treat it as restarted.
/// </summary>
internal sealed class NodeHeartbeats(ControllerClient controller, NodeIdentity self, ControllerSettings settings, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.HeartbeatInterval, time);
        do
        {
            if (self.TryGetBoundAddress() is null)
            {
                continue;
            }
            var (host, port) = self.Address;
            var (externalHost, externalPort) = self.ExternalAddress ?? (string.Empty, 0);
            var request = new NodeHeartbeatRequest
            {
                NodeId = self.NodeId,
                Host = host,
                Port = port,
                Incarnation = self.Incarnation,
                ExternalHost = externalHost,
                ExternalPort = externalPort,
            };
            using var beat = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            beat.CancelAfter(settings.SessionTimeout);
            try
            {
                await controller.CallAsync(
                    (client, options) => client.HeartbeatAsync(request, options).ResponseAsync,
                    response => response.ErrorCode,
                    settings.HeartbeatInterval * 2,
                    beat.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException && !stoppingToken.IsCancellationRequested)
            {
                // A heartbeat must never stop the node (a failed background service stops the host).
                // No controller answered within a session: try again; the controller fences us meanwhile if it must.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
