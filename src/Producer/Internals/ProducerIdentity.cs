using LogCluster.Client;
using LogCluster.Client.Cluster;
using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;

namespace LogCluster.Producer.Internals;

/// <summary>
/// An idempotent producer's id and epoch, asked from any node with InitProducerId: once when the producer starts,
/// and again (with the current pair, so the node bumps the epoch, KIP-360) when a partition's sequence has a gap
/// that nothing can fill. While a request is out <see cref="Current"/> is null and no new batch is stamped.
/// A failed request is repeated after retry.backoff.ms until it succeeds or the producer closes; the batches
/// waiting for it are bounded by their own delivery timeouts.
/// </summary>
internal sealed class ProducerIdentity(ClusterMetadata metadata, TimeProvider time, TimeSpan retryBackoff, Action changed, CancellationToken closing)
{
    private readonly Lock _lock = new();
    private ProducerIdAndEpoch? _current;

    public ProducerIdAndEpoch? Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    public void Start() => _ = RequestAsync(from: null);

    /// <summary>Moves on from <paramref name="stale"/> to a newer epoch, unless that already happened.</summary>
    public void BumpFrom(ProducerIdAndEpoch stale)
    {
        lock (_lock)
        {
            if (_current != stale)
            {
                return;
            }
            _current = null;
        }
        _ = RequestAsync(stale);
    }

    private async Task RequestAsync(ProducerIdAndEpoch? from)
    {
        var request = new InitProducerIdRequest { ProducerId = from?.ProducerId ?? -1, ProducerEpoch = from?.Epoch ?? -1 };
        while (!closing.IsCancellationRequested)
        {
            try
            {
                var response = await metadata.AskAnyNodeAsync(
                    "an init-producer-id request",
                    (admin, token) => admin.InitProducerIdAsync(request, cancellationToken: token).ResponseAsync,
                    closing).ContinueInline();
                if (response.ErrorCode == ErrorCode.None)
                {
                    lock (_lock)
                    {
                        _current = new ProducerIdAndEpoch(response.ProducerId, checked((short)response.ProducerEpoch));
                    }
                    changed();
                    return;
                }
            }
            catch (Exception e) when (e is LogClusterException or Grpc.Core.RpcException or OperationCanceledException)
            {
                if (closing.IsCancellationRequested)
                {
                    return;
                }
                // No node answered, or one failed: try again after the backoff.
            }
            try
            {
                await Task.Delay(retryBackoff, time, closing).ContinueInline();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
