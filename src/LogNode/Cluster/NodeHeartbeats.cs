using Grpc.Core;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Metadata.Controller;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Cluster;

/// <summary>
/// Tells the controller, every heartbeat interval, that this node is alive and where clients reach it. The first
/// heartbeat registers the node; one from a new process (new incarnation) makes the controller treat it as restarted.
/// </summary>
/// <remarks>
/// The heartbeats go on one stream kept open to the controller, over a connection of this loop's own. That stream
/// is how the controller tells a dead process from a silent one: when this process dies, the kernel closes the
/// connection, the controller sees the stream reset and fences the node after a short grace instead of the whole
/// session timeout. So this loop resets the stream only when something is wrong (no answer in time, or the node
/// stops) and opens the next one at once; moving to another controller it half-closes the stream instead.
/// </remarks>
internal sealed class NodeHeartbeats(IMetadataQuorum quorum, ControllerClient controller, NodeIdentity self, ControllerSettings settings, TimeProvider time, ILogger<NodeHeartbeats> logger) : BackgroundService
{
    private static readonly TimeSpan _retryBackoff = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            if (self.TryGetBoundAddress() is not null && controller.Locate() is { } target)
            {
                try
                {
                    var ended = await StreamAsync(target, stoppingToken).ConfigureAwait(false);
                    NodeLog.HeartbeatStreamEnded(logger, target.NodeId, ended);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
                {
                    // A controller of an earlier version, during a rolling upgrade: unary heartbeats, session timeout only.
                    await BeatOnceAsync(stoppingToken).ConfigureAwait(false);
                    await Task.Delay(settings.HeartbeatInterval, time, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // A heartbeat must never stop the node (a failed background service stops the host). The controller
                    // went away, or did not answer in time: find the controller again and open a new stream.
                    NodeLog.HeartbeatStreamEnded(logger, target.NodeId, $"{e.GetType().Name}: {e.Message}");
                }
            }
            await Task.Delay(_retryBackoff, time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Heartbeats on one stream to <paramref name="target"/> until it is to be replaced; returns why.</summary>
    private async Task<string> StreamAsync((int NodeId, string Host, int Port) target, CancellationToken stoppingToken)
    {
        using var channel = PeerChannels.Dedicated(target.Host, target.Port);
        using var call = new ControllerService.ControllerServiceClient(channel).Heartbeats(cancellationToken: stoppingToken);
        using var timer = new PeriodicTimer(settings.HeartbeatInterval, time);
        do
        {
            if (quorum.ControllerId != target.NodeId)
            {
                // A goodbye, not a reset: the controller left behind must not take this node for dead.
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                await AnswerAsync(call, stoppingToken).ConfigureAwait(false);
                return "the controller moved";
            }
            await call.RequestStream.WriteAsync(Request(), stoppingToken).ConfigureAwait(false);
            if (await AnswerAsync(call, stoppingToken).ConfigureAwait(false) is not { } answer)
            {
                return "the controller ended it";
            }
            if (answer.ErrorCode == ErrorCode.NotController)
            {
                return "it is not the controller";
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        return "the node stops";
    }

    /// <summary>The next answer on the stream, null when the controller ended it; throws when none comes within two intervals.</summary>
    private async Task<NodeHeartbeatResponse?> AnswerAsync(AsyncDuplexStreamingCall<NodeHeartbeatRequest, NodeHeartbeatResponse> call, CancellationToken stoppingToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        wait.CancelAfter(settings.HeartbeatInterval * 2);
        return await call.ResponseStream.MoveNext(wait.Token).ConfigureAwait(false) ? call.ResponseStream.Current : null;
    }

    private async Task BeatOnceAsync(CancellationToken stoppingToken)
    {
        using var beat = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        beat.CancelAfter(settings.SessionTimeout);
        try
        {
            await controller.CallAsync(
                (client, options) => client.HeartbeatAsync(Request(), options).ResponseAsync,
                response => response.ErrorCode,
                settings.HeartbeatInterval * 2,
                beat.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // No controller answered within a session: try again; the controller fences us meanwhile if it must.
        }
    }

    private NodeHeartbeatRequest Request()
    {
        var (host, port) = self.Address;
        var (externalHost, externalPort) = self.ExternalAddress ?? (string.Empty, 0);
        var (kafkaHost, kafkaPort) = self.KafkaAddress ?? (string.Empty, 0);
        return new NodeHeartbeatRequest
        {
            NodeId = self.NodeId,
            Host = host,
            Port = port,
            Incarnation = self.Incarnation,
            ExternalHost = externalHost,
            ExternalPort = externalPort,
            KafkaHost = kafkaHost,
            KafkaPort = kafkaPort,
        };
    }
}
