namespace LogCluster.Producer;

internal sealed partial class Producer<TKey, TValue>
{
    /// <summary>
    /// Makes everything sendable now (linger no longer applies) and waits until every record sent before the
    /// call has its outcome; records sent meanwhile by other threads are not waited for (Kafka's flush).
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        _sender.BeginFlush();
        try
        {
            // Resolutions complete on SDK threads; the caller's code continues on the pool, never on them.
            await EverythingSentResolvedAsync().WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }
        finally
        {
            _sender.EndFlush();
        }
    }

    /// <summary>
    /// Completes when every record sent before the call has its outcome: first those still waiting for metadata or
    /// memory reach their batches (an async send returns before that, unlike Kafka's blocking send), then every
    /// batch then incomplete is resolved. Continues inline on SDK threads.
    /// </summary>
    private async Task EverythingSentResolvedAsync()
    {
        var resolutions = _accumulator.IncompleteResolutions();
        await Task.WhenAll(PendingAdmissions()).ConfigureAwait(false);
        await Task.WhenAll(resolutions.Concat(_accumulator.IncompleteResolutions())).ConfigureAwait(false);
    }

    /// <summary>Blocks without the thread pool: the last resolution (on an SDK thread) wakes this thread directly.</summary>
    public bool Flush(TimeSpan timeout)
    {
        _sender.BeginFlush();
        using var cancel = new CancellationTokenSource(timeout, _time);
        try
        {
            EverythingSentResolvedAsync().WaitAsync(cancel.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            _sender.EndFlush();
        }
    }

    /// <summary>
    /// Sends what is queued and waits for every outcome, up to delivery.timeout.ms (by then every record has one);
    /// anything still unresolved fails with LOCAL_DESTROYED. Later sends throw <see cref="ObjectDisposedException"/>.
    /// The caller's code continues on the pool, never on the SDK thread that finished the close.
    /// </summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

    /// <summary>Blocks without the thread pool: the close runs on to its end on SDK threads and wakes this one directly.</summary>
    public void Dispose() => CloseAsync().GetAwaiter().GetResult();

    /// <summary>
    /// The close. Its awaits complete synchronously on SDK threads (the sender's, a connection's, the completion
    /// thread), so its last steps may run there; each of them is safe on any of those threads.
    /// </summary>
    private async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _sender.Close();
        using (var closeTimeout = new CancellationTokenSource(_config.DeliveryTimeout, _time))
        {
            try
            {
                await _senderLoop.WaitAsync(closeTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Cancel, not CancelAsync: its callbacks (waking the sender) must not wait for the pool.
                _abort.Cancel();
                await _senderLoop.ConfigureAwait(false);
            }
        }
        // Whatever is left (waiting for admission, queued, or in flight on a stream the sender dropped)
        // resolves now as LOCAL_DESTROYED, through the same path as every other outcome.
        RejectWaitingAdmissions();
        foreach (var batch in _accumulator.Incomplete)
        {
            batch.Destroyed = true;
            batch.Deadline.Cancel();
        }
        await Task.WhenAll(_accumulator.IncompleteResolutions()).ConfigureAwait(false);
        // This may now run on a connection's reader thread or the completion thread. Waiting there for the completion
        // thread (a callback may be waiting for that very connection) could deadlock: the last steps get a thread of their own.
        var released = new TaskCompletionSource();
        new Thread(() =>
        {
            try
            {
                _completions.Dispose();
                _metadata.Dispose();
                _abort.Dispose();
                released.SetResult();
            }
            catch (Exception e)
            {
                released.SetException(e);
            }
        })
        { IsBackground = true, Name = $"logcluster-producer-{_config.ClientId}-close" }.Start();
        await released.Task.ConfigureAwait(false);
    }
}
