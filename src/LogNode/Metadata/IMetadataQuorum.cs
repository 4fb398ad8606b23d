namespace LogCluster.LogNode.Metadata;

/// <summary>
/// The replicated cluster metadata log, as the rest of the node sees it: the applied <see cref="ClusterImage"/>,
/// who the active controller is, and a way for the controller to append records. Hides the Raft library
/// (docs/architecture.md says which and why), so another implementation could stand in.
/// </summary>
internal interface IMetadataQuorum : IAsyncDisposable
{
    /// <summary>The image after the last applied committed record.</summary>
    ClusterImage Image { get; }

    /// <summary>Raised after each change of <see cref="Image"/>, with the new image, on the thread that applied it.</summary>
    event Action<ClusterImage>? ImageChanged;

    /// <summary>Node id of the quorum's leader (the active controller), or null while there is none.</summary>
    int? ControllerId { get; }

    /// <summary>Raised when <see cref="ControllerId"/> changes, with the new value.</summary>
    event Action<int?>? ControllerChanged;

    /// <summary>Joins the quorum; returns once the local log has been opened (not when a leader is known).</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// On the controller: waits until this node's leadership is usable (its own term's first entry committed)
    /// and returns a token cancelled when it stops leading. Throws <see cref="NotControllerException"/> elsewhere.
    /// </summary>
    Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Appends records as one entry, replicates it to a majority, commits it, and returns once it is applied to
    /// this node's <see cref="Image"/>. Throws <see cref="NotControllerException"/> when this node does not lead.
    /// </summary>
    Task ProposeAsync(IReadOnlyList<Protocol.V1.MetadataRecord> records, CancellationToken cancellationToken);
}

/// <summary>Thrown by <see cref="IMetadataQuorum"/> writes on a node that is not the active controller.</summary>
internal sealed class NotControllerException(string message, Exception? inner = null) : Exception(message, inner);
