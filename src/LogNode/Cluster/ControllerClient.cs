using Grpc.Core;
using LogCluster.LogNode.Metadata;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Cluster;

/// <summary>
/// Calls the active controller from this node: the quorum says which node leads, the image says where it
/// listens (this node's own bound address when it leads itself, since it may not be registered yet). Waits
/// and retries while there is no controller or the one asked has just lost leadership, until the caller's token.
/// </summary>
internal sealed class ControllerClient(IMetadataQuorum quorum, NodeIdentity self, PeerChannels channels, TimeProvider time)
{
    private static readonly TimeSpan _retryBackoff = TimeSpan.FromMilliseconds(50);

    public async Task<T> CallAsync<T>(Func<ControllerService.ControllerServiceClient, CallOptions, Task<T>> call, Func<T, ErrorCode> errorOf, TimeSpan attemptTimeout, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Locate() is { } address)
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(attemptTimeout);
                try
                {
                    var client = new ControllerService.ControllerServiceClient(channels.For(address.Host, address.Port));
                    var response = await call(client, new CallOptions(cancellationToken: attempt.Token)).ConfigureAwait(false);
                    if (errorOf(response) != ErrorCode.NotController)
                    {
                        return response;
                    }
                }
                catch (RpcException e) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller gave up: say so as every awaited call does, not as a transport failure.
                    throw new OperationCanceledException("the controller call was cancelled", e, cancellationToken);
                }
                catch (RpcException)
                {
                    if (attempt.IsCancellationRequested)
                    {
                        channels.Reset(address.Host, address.Port);
                    }
                }
            }
            await Task.Delay(_retryBackoff, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The active controller and where to call it, or null while there is none or its address is unknown.</summary>
    public (int NodeId, string Host, int Port)? Locate()
    {
        if (quorum.ControllerId is not { } controller)
        {
            return null;
        }
        if (controller == self.NodeId)
        {
            return self.SelfCallAddress() is var (host, port) ? (controller, host, port) : null;
        }
        return quorum.Image.Nodes.TryGetValue(controller, out var node) ? (controller, node.Host, node.Port) : null;
    }
}
