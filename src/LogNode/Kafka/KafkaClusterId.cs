using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace LogCluster.LogNode.Kafka;

/// <summary>
/// The cluster id Kafka clients are given (Metadata, DescribeCluster): formatted as Kafka's, 16 bytes in URL-safe
/// base64 without padding (22 characters). It is derived from the metadata quorum's voter set (a single node's from
/// its data directory), so every node of a cluster gives the same id and it stays the same across restarts while
/// the voters do. Never null: librdkafka's admin client crashes on a null cluster id.
/// </summary>
internal sealed class KafkaClusterId(IOptions<NodeOptions> options)
{
    // A single node (no voters) is its own quorum: its data directory tells it from other single nodes.
    private readonly Lazy<string> _id = new(() => Derive(options.Value.Voters ?? $"single:{Path.GetFullPath(options.Value.DataDir)}"));

    public string Value => _id.Value;

    private static string Derive(string voters)
    {
        // Order and spacing do not matter: "1@a:1,2@b:2" and "2@b:2, 1@a:1" are the same quorum.
        var normalized = string.Join(',', voters.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(normalized));
        return Convert.ToBase64String(hash, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
