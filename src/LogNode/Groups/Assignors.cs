namespace LogCluster.LogNode.Groups;

/// <summary>
/// The server-side assignors (KIP-848's "range" and "uniform"): given the members (sorted by id, each with its
/// subscription) and each subscribed topic's partition count, which partitions each member gets. Deterministic,
/// so every computation over the same group gives the same answer.
/// </summary>
internal static class Assignors
{
    public const string Range = "range";
    public const string Uniform = "uniform";

    public static bool IsKnown(string name) => name is Range or Uniform;

    public static Dictionary<string, HashSet<(string Topic, int Partition)>> Assign(
        string assignor,
        IReadOnlyList<(string MemberId, IReadOnlySet<string> Topics)> members,
        IReadOnlyDictionary<string, int> partitionCounts)
    {
        var result = members.ToDictionary(m => m.MemberId, _ => new HashSet<(string, int)>(), StringComparer.Ordinal);
        foreach (var topic in partitionCounts.Keys.Order(StringComparer.Ordinal))
        {
            var subscribers = members.Where(m => m.Topics.Contains(topic)).Select(m => m.MemberId).Order(StringComparer.Ordinal).ToList();
            if (subscribers.Count == 0)
            {
                continue;
            }
            var count = partitionCounts[topic];
            if (assignor == Range)
            {
                // Contiguous ranges per topic; the first (count mod members) members get one more.
                var each = count / subscribers.Count;
                var extra = count % subscribers.Count;
                var next = 0;
                for (var m = 0; m < subscribers.Count; m++)
                {
                    var size = each + (m < extra ? 1 : 0);
                    for (var p = next; p < next + size; p++)
                    {
                        result[subscribers[m]].Add((topic, p));
                    }
                    next += size;
                }
            }
            else
            {
                for (var p = 0; p < count; p++)
                {
                    // Round-robin, continuing where the previous topic stopped, so totals stay within one.
                    var member = subscribers.OrderBy(s => result[s].Count).ThenBy(s => s, StringComparer.Ordinal).First();
                    result[member].Add((topic, p));
                }
            }
        }
        return result;
    }
}
