namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>Runs the controller's duties whenever this node leads the metadata quorum.</summary>
internal sealed class ControllerDuties(ActiveController controller) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await controller.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Node stopping.
        }
    }
}
