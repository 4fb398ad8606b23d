using LogCluster.LogNode.Storage;
using Microsoft.Extensions.Options;

namespace LogCluster.LogNode;

/// <summary>The node's periodic chores: flush.ms deadlines and retention, as Kafka's log manager scheduler.</summary>
internal sealed class LogMaintenanceService(LogManager logs, IOptions<NodeOptions> options, TimeProvider time, ILogger<LogMaintenanceService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var flushInterval = TimeSpan.FromMilliseconds(options.Value.FlushCheckIntervalMs);
        var retentionIntervalMs = options.Value.RetentionCheckIntervalMs;
        var nextRetentionMs = time.GetUtcNow().ToUnixTimeMilliseconds() + retentionIntervalMs;
        using var timer = new PeriodicTimer(flushInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var partition in logs.Partitions)
            {
                partition.FlushIfDue(nowMs);
            }
            if (nowMs >= nextRetentionMs)
            {
                nextRetentionMs = nowMs + retentionIntervalMs;
                EnforceRetention(nowMs);
            }
        }
    }

    private void EnforceRetention(long nowMs)
    {
        foreach (var partition in logs.Partitions)
        {
            try
            {
                partition.ExpireProducers(nowMs, options.Value.ProducerIdExpirationMs);
                var deleted = partition.EnforceRetention(nowMs);
                if (deleted > 0)
                {
                    NodeLog.RetentionDeleted(logger, deleted, partition.Id, partition.LogStartOffset);
                }
            }
            catch (IOException e)
            {
                NodeLog.RetentionFailed(logger, e, partition.Id);
            }
        }
    }
}
