namespace LogCluster.LogNode.Groups;

/// <summary>Removes group members whose sessions expired, ten times a second, so their partitions move on.</summary>
internal sealed class GroupSessions(GroupCoordinator coordinator, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan _interval = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                coordinator.ExpireSilentMembers();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Node stopping.
        }
    }
}
