using System.Text;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Cli.Demo;

/// <summary>
/// Reads every partition of a topic from offset 0 to the high watermark, each from its leader, and decodes the
/// records. (The consumer SDK, with groups and leader changes, replaces this.)
/// </summary>
internal sealed class WireConsumer(Func<int, LogService.LogServiceClient> leaderOf, string topic, int partitions)
{
    /// <summary>Every record value, as text.</summary>
    public async Task<List<string>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var values = new List<string>();
        for (var partition = 0; partition < partitions; partition++)
        {
            var client = leaderOf(partition);
            long offset = 0;
            while (true)
            {
                var request = new FetchRequest { ReplicaId = -1, MaxWaitMs = 0, MinBytes = 0, MaxBytes = 4 << 20 };
                request.Partitions.Add(new FetchPartition { Topic = topic, Partition = partition, FetchOffset = offset, CurrentLeaderEpoch = -1 });
                var result = (await client.FetchAsync(request, cancellationToken: cancellationToken)).Partitions[0];
                if (result.ErrorCode != ErrorCode.None)
                {
                    throw new InvalidOperationException($"fetch failed: {result.ErrorCode} {result.ErrorMessage}");
                }
                var before = offset;
                foreach (var batch in RecordBatchReader.SplitBatches(result.RecordBatches.Memory))
                {
                    foreach (var record in RecordBatchReader.ReadRecords(batch.Span))
                    {
                        // A fetch may start inside a batch: skip the records before the offset asked for.
                        if (record.Offset >= offset)
                        {
                            values.Add(Encoding.UTF8.GetString(record.Value!));
                            offset = record.Offset + 1;
                        }
                    }
                }
                if (offset == before)
                {
                    break;
                }
            }
        }
        return values;
    }
}
