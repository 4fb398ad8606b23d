using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// Owns the data directory: the local copy of every topic the metadata log gives this node (descriptor and
/// partition logs). Topic creation and deletion are
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
    private readonly Lock _adminLock = new();
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);

    public LogManager(string dataDirectory, TopicConfig defaults, TimeProvider time, ILogger<LogManager> logger)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        _topicsDirectory = Path.Combine(DataDirectory, "meta", "topics");
        _defaults = defaults;
        _time = time;
        _logger = logger;
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
        return new TopicState(descriptor.Name, descriptor.TopicId ?? string.Empty, descriptor.ReplicationFactor, descriptor.Configs, config, partitions);
    }

    /// <summary>
    /// Makes the local copy of a topic the metadata log describes: opens it if missing, or wipes and recreates it
    /// when the local one is an earlier topic of the same name (another topic id: this node missed the delete).
    /// Validation happened on the controller; a topic reaching here is valid.
    /// </summary>
    public TopicState EnsureTopic(string name, string topicId, int partitions, int replicationFactor, IReadOnlyDictionary<string, string> configs)
    {
        lock (_adminLock)
        {
            if (_topics.TryGetValue(name, out var existing))
            {
                if (existing.TopicId == topicId)
                {
                    return existing;
                }
                DeleteTopic(name);
            }
            var descriptor = new TopicDescriptor(name, partitions, replicationFactor, new Dictionary<string, string>(configs), topicId);
            // Folders left by a delete that failed half-way belong to no topic: a new topic starts empty.
            for (var p = 0; p < partitions; p++)
            {
                PartitionLog.DeleteFiles(DataDirectory, new TopicPartition(name, p));
            }
            var state = OpenTopic(descriptor, _defaults.With(configs));
            SegmentFiles.WriteDurably(DescriptorPath(name), JsonSerializer.SerializeToUtf8Bytes(descriptor));
            _topics[name] = state;
            NodeLog.TopicCreated(_logger, name, partitions);
            return state;
        }
    }

    /// <summary>Deletes a topic and all its data; false when there is no such topic here.</summary>
    public bool DeleteTopic(string name)
    {
        lock (_adminLock)
        {
            if (!_topics.TryRemove(name, out var state))
            {
                return false;
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
            return true;
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
