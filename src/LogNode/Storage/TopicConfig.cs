using System.Globalization;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// Per-topic log settings with Kafka's keys and defaults (docs/configuration.md). Values are validated when a
/// topic is created; an unknown key or a bad value is an <see cref="ArgumentException"/> naming the key.
/// </summary>
public sealed record TopicConfig
{
    /// <summary>Roll the active segment before it would exceed this many bytes.</summary>
    public long SegmentBytes { get; init; } = 1L << 30;

    /// <summary>Roll the active segment once it is this old (milliseconds).</summary>
    public long SegmentMs { get; init; } = 7L * 24 * 3600 * 1000;

    /// <summary>Delete whole segments whose newest record is older than this (milliseconds); -1 keeps forever.</summary>
    public long RetentionMs { get; init; } = 7L * 24 * 3600 * 1000;

    /// <summary>Delete the oldest segments while the partition is larger than this (bytes); -1 means no limit.</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary>Largest batch accepted, in bytes (Kafka's default 1 MiB + 12).</summary>
    public int MaxMessageBytes { get; init; } = 1_048_588;

    /// <summary>
    /// fsync once this many records are unflushed; the append that crosses the line is acknowledged only after
    /// the fsync (group commit). 1 = every acknowledgement is durable on disk. Default: never (the OS flushes).
    /// </summary>
    public long FlushMessages { get; init; } = long.MaxValue;

    /// <summary>fsync at least this often (milliseconds) while there is unflushed data. Default: never.</summary>
    public long FlushMs { get; init; } = long.MaxValue;

    /// <summary>Bytes between two entries of the sparse offset index.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>
    /// acks=all needs at least this many in-sync replicas (leader included); fewer fail with NOT_ENOUGH_REPLICAS
    /// before anything is written. Kafka's default, 1; RF=3 clusters usually set 2.
    /// </summary>
    public int MinInsyncReplicas { get; init; } = 1;

    public static readonly TopicConfig Default = new();

    private static readonly string[] _knownKeys =
    [
        "segment.bytes", "segment.ms", "retention.ms", "retention.bytes", "max.message.bytes",
        "flush.messages", "flush.ms", "index.interval.bytes", "min.insync.replicas",
    ];

    public static IReadOnlyList<string> Keys => _knownKeys;

    /// <summary>Applies <paramref name="overrides"/> on top of this config.</summary>
    public TopicConfig With(IEnumerable<KeyValuePair<string, string>> overrides)
    {
        var config = this;
        foreach (var (key, value) in overrides)
        {
            config = key switch
            {
                "segment.bytes" => config with { SegmentBytes = ParseLong(key, value, min: 1024, max: int.MaxValue) },
                "segment.ms" => config with { SegmentMs = ParseLong(key, value, min: 1) },
                "retention.ms" => config with { RetentionMs = ParseLong(key, value, min: -1) },
                "retention.bytes" => config with { RetentionBytes = ParseLong(key, value, min: -1) },
                "max.message.bytes" => config with { MaxMessageBytes = (int)ParseLong(key, value, min: 61, max: int.MaxValue) },
                "flush.messages" => config with { FlushMessages = ParseLong(key, value, min: 1) },
                "flush.ms" => config with { FlushMs = ParseLong(key, value, min: 0) },
                "index.interval.bytes" => config with { IndexIntervalBytes = (int)ParseLong(key, value, min: 0, max: int.MaxValue) },
                "min.insync.replicas" => config with { MinInsyncReplicas = (int)ParseLong(key, value, min: 1, max: short.MaxValue) },
                _ => throw new ArgumentException($"unknown topic config '{key}'; known keys: {string.Join(", ", _knownKeys)}"),
            };
        }
        return config;
    }

    /// <summary>The effective settings as Kafka keys, as ListTopics reports them.</summary>
    public IReadOnlyDictionary<string, string> ToDictionary() => new Dictionary<string, string>
    {
        ["segment.bytes"] = Format(SegmentBytes),
        ["segment.ms"] = Format(SegmentMs),
        ["retention.ms"] = Format(RetentionMs),
        ["retention.bytes"] = Format(RetentionBytes),
        ["max.message.bytes"] = Format(MaxMessageBytes),
        ["flush.messages"] = Format(FlushMessages),
        ["flush.ms"] = Format(FlushMs),
        ["index.interval.bytes"] = Format(IndexIntervalBytes),
        ["min.insync.replicas"] = Format(MinInsyncReplicas),
    };

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static long ParseLong(string key, string value, long min, long max = long.MaxValue)
    {
        if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
        {
            throw new ArgumentException($"topic config '{key}' must be an integer in [{min}, {max}], got '{value}'");
        }
        return parsed;
    }
}
