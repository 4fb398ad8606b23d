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
            await Task.WhenAll(_accumulator.IncompleteResolutions()).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sender.EndFlush();
        }
    }

    public bool Flush(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout, _time);
        try
        {
            FlushAsync(cancel.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends what is queued and waits for every outcome, up to delivery.timeout.ms (by then every record has one);
    /// anything still unresolved fails with LOCAL_DESTROYED. Later sends throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
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
                await _abort.CancelAsync().ConfigureAwait(false);
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
        _completions.Dispose();
        _metadata.Dispose();
        _abort.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
