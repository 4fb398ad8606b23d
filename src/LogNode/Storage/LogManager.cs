using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// Owns the data directory: every topic's descriptor and partition logs. Topic creation and deletion are
/// serialised by one lock; lookups are lock-free. A topic exists exactly when its descriptor file does:
/// creation writes it last, deletion removes it first, and start-up removes partition folders without one.
/// </summary>
internal sealed partial class LogManager : IDisposable
{
    public const int MaxPartitions = 10_000;
    private readonly string _topicsDirectory;
    private readonly TopicConfig _defaults;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _clusterSize;
    private readonly Lock _adminLock = new();
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);

    public LogManager(string dataDirectory, TopicConfig defaults, TimeProvider time, ILogger<LogManager> logger, int clusterSize = 1)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        _topicsDirectory = Path.Combine(DataDirectory, "meta", "topics");
        _defaults = defaults;
        _time = time;
        _logger = logger;
        _clusterSize = clusterSize;
        Directory.CreateDirectory(_topicsDirectory);
        Load();
    }

    public string DataDirectory { get; }

    public ICollection<TopicState> Topics => _topics.Values;

    public IEnumerable<PartitionLog> Partitions => _topics.Values.SelectMany(t => t.Partitions);

    public TopicState? FindTopic(string name) => _topics.GetValueOrDefault(name);

    public PartitionLog? FindPartition(string topic, int partition) =>
        _topics.TryGetValue(topic, out var state) && partition >= 0 && partition < state.Partitions.Length
            ? state.Partitions[partition]
            : null;

    private void Load()
    {
        foreach (var file in Directory.EnumerateFiles(_topicsDirectory, "*.json"))
        {
            var descriptor = JsonSerializer.Deserialize<TopicDescriptor>(File.ReadAllBytes(file))
                ?? throw new InvalidDataException($"empty topic descriptor {file}");
            _topics[descriptor.Name] = OpenTopic(descriptor, _defaults.With(descriptor.Configs));
        }
        foreach (var directory in Directory.EnumerateDirectories(DataDirectory))
        {
            var match = PartitionDirectory().Match(Path.GetFileName(directory));
            if (match.Success && FindPartition(match.Groups[1].Value, int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) is null)
            {
                NodeLog.OrphanRemoved(_logger, directory);
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private TopicState OpenTopic(TopicDescriptor descriptor, TopicConfig config)
    {
        var partitions = new PartitionLog[descriptor.Partitions];
        for (var p = 0; p < partitions.Length; p++)
        {
            partitions[p] = PartitionLog.Open(DataDirectory, new TopicPartition(descriptor.Name, p), config, _time, out var report);
            if (report.TruncatedBytes > 0 || report.DeletedSegments > 0)
            {
                NodeLog.TailRecovered(_logger, report.Partition, report.TruncatedBytes, report.DeletedSegments, report.LogEndOffset);
            }
        }
        return new TopicState(descriptor.Name, descriptor.ReplicationFactor, descriptor.Configs, config, partitions);
    }

    /// <summary>Creates a topic, or with <paramref name="validateOnly"/> only checks that it could.</summary>
    public (ErrorCode Error, string Message) CreateTopic(TopicSpec spec, bool validateOnly)
    {
        if (TopicNames.Problem(spec.Name) is { } nameProblem)
        {
            return (ErrorCode.InvalidTopic, nameProblem);
        }
        if (spec.Partitions < 1 || spec.Partitions > MaxPartitions)
        {
            return (ErrorCode.InvalidPartitions, $"partitions must be in [1, {MaxPartitions}], got {spec.Partitions}");
        }
        if (spec.ReplicationFactor < 1 || spec.ReplicationFactor > _clusterSize)
        {
            return (ErrorCode.InvalidReplicationFactor, $"replication factor must be in [1, {_clusterSize}] (the cluster's node count), got {spec.ReplicationFactor}");
        }
        TopicConfig config;
        try
        {
            config = _defaults.With(spec.Configs);
        }
        catch (ArgumentException e)
        {
            return (ErrorCode.InvalidConfig, e.Message);
        }
        lock (_adminLock)
        {
            if (_topics.ContainsKey(spec.Name))
            {
                return (ErrorCode.TopicAlreadyExists, $"topic '{spec.Name}' already exists");
            }
            if (validateOnly)
            {
                return (ErrorCode.None, string.Empty);
            }
            var descriptor = new TopicDescriptor(spec.Name, spec.Partitions, spec.ReplicationFactor, new Dictionary<string, string>(spec.Configs));
            // Folders left by a delete that failed half-way belong to no topic: a new topic starts empty.
            for (var p = 0; p < spec.Partitions; p++)
            {
                PartitionLog.DeleteFiles(DataDirectory, new TopicPartition(spec.Name, p));
            }
            var state = OpenTopic(descriptor, config);
            SegmentFiles.WriteDurably(DescriptorPath(spec.Name), JsonSerializer.SerializeToUtf8Bytes(descriptor));
            _topics[spec.Name] = state;
            NodeLog.TopicCreated(_logger, spec.Name, spec.Partitions);
            return (ErrorCode.None, string.Empty);
        }
    }

    /// <summary>Deletes a topic and all its data.</summary>
    public (ErrorCode Error, string Message) DeleteTopic(string name)
    {
        lock (_adminLock)
        {
            if (!_topics.TryRemove(name, out var state))
            {
                return (ErrorCode.UnknownTopicOrPartition, $"topic '{name}' does not exist");
            }
            File.Delete(DescriptorPath(name));
            foreach (var partition in state.Partitions)
            {
                try
                {
                    partition.Dispose();
                }
                catch (IOException)
                {
                    // Its final fsync failed; the data is being deleted anyway.
                }
                PartitionLog.DeleteFiles(DataDirectory, partition.Id);
            }
            NodeLog.TopicDeleted(_logger, name);
            return (ErrorCode.None, string.Empty);
        }
    }

    private string DescriptorPath(string topic) => Path.Combine(_topicsDirectory, topic + ".json");

    public void Dispose()
    {
        foreach (var partition in Partitions)
        {
            partition.Dispose();
        }
    }

    [GeneratedRegex(@"^(.+)-(\d+)$")]
    private static partial Regex PartitionDirectory();
}
