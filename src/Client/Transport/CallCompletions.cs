namespace LogCluster.Client.Transport;

/// <summary>Where the code awaiting a call's tasks continues.</summary>
internal enum CallCompletions
{
    /// <summary>
    /// On the connection's reader thread, synchronously: no thread-pool hop, for SDK code that never blocks and
    /// never runs user code after the await (the producer's delivery path).
    /// </summary>
    Inline,

    /// <summary>On the thread pool (RunContinuationsAsynchronously): the reader thread never runs the awaiting code.</summary>
    OnThreadPool,
}
