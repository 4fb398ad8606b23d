using LogCluster.LogNode.Cluster;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Producers;

/// <summary>
/// Hands out producer ids unique across the cluster and across restarts: this node takes blocks of ids from
/// the controller, which records each block in the metadata log before handing it out (KRaft allocates
/// producer-id blocks the same way), and gives out the ids of its current block. An unused rest of a block is
/// lost at restart, never reused. Thread-safe.
/// </summary>
internal sealed class ProducerIdAllocator(ControllerClient controller, NodeIdentity self) : IDisposable
{
    private static readonly TimeSpan _attemptTimeout = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private long _next;
    private long _blockEnd;

    /// <summary>A new producer: a fresh id at epoch 0.</summary>
    public async Task<(long ProducerId, short Epoch)> NewProducerAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_next == _blockEnd)
            {
                var request = new AllocateProducerIdsRequest { NodeId = self.NodeId };
                var block = await controller.CallAsync(
                    (client, options) => client.AllocateProducerIdsAsync(request, options).ResponseAsync,
                    response => response.ErrorCode,
                    _attemptTimeout,
                    cancellationToken).ConfigureAwait(false);
                (_next, _blockEnd) = (block.FirstId, block.FirstId + block.Size);
            }
            return (_next++, 0);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// KIP-360: the same id at the next epoch, so the producer can reset its sequences after a batch whose fate it
    /// cannot know; a fresh id when the epoch would overflow int16.
    /// </summary>
    public async Task<(long ProducerId, short Epoch)> BumpAsync(long producerId, short epoch, CancellationToken cancellationToken) =>
        epoch < short.MaxValue - 1 ? (producerId, (short)(epoch + 1)) : await NewProducerAsync(cancellationToken).ConfigureAwait(false);

    public void Dispose() => _lock.Dispose();
}
