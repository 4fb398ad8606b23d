namespace LogCluster.LogNode.Groups;

/// <summary>
/// Removes group members whose sessions expired, ten times a second, so their partitions move on. A failure in one
/// pass is logged and the next pass runs: a background service that throws would stop the node.
/// </summary>
internal sealed partial class GroupSessions(GroupCoordinator coordinator, TimeProvider time, ILogger<GroupSessions> logger) : BackgroundService
{
    private static readonly TimeSpan _interval = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    coordinator.ExpireSilentMembers();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    PassFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Node stopping.
        }
    }

    [LoggerMessage(80, LogLevel.Error, "Expiring group members failed; the next pass runs in 100 ms")]
    private static partial void PassFailed(ILogger logger, Exception exception);
}
