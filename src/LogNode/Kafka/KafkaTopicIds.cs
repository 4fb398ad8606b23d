using System.Security.Cryptography;
using System.Text;
using LogCluster.LogNode.Metadata;

namespace LogCluster.LogNode.Kafka;

/// <summary>Topic ids as Kafka clients see them (KIP-516): one UUID per topic, stable and never all zeros.</summary>
internal static class KafkaTopicIds
{
    /// <summary>
    /// The topic's id. A topic created before ids were recorded gets one derived from its name, so the id a client
    /// sees never changes and is never the all-zero UUID Kafka reserves.
    /// </summary>
    public static Guid Of(TopicInfo topic)
    {
        if (Guid.TryParseExact(topic.TopicId, "N", out var id) && id != Guid.Empty)
        {
            return id;
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(topic.Name));
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>Per metadata image (immutable), its topics by id: fetches from v13 name every topic by id.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ClusterImage, Dictionary<Guid, TopicInfo>> _byId = [];

    /// <summary>The topic with this id in the image, or null.</summary>
    public static TopicInfo? Find(ClusterImage image, Guid id) =>
        _byId.GetValue(image, static i =>
        {
            var byId = new Dictionary<Guid, TopicInfo>();
            foreach (var topic in i.Topics.Values)
            {
                // Two topics with one id cannot be told apart: the first keeps it (never a crash on a lookup).
                byId.TryAdd(Of(topic), topic);
            }
            return byId;
        }).GetValueOrDefault(id);
}
