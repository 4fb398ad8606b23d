namespace LogCluster.Client.Configuration;

/// <summary>One configuration key: how its value is read into a config record and written back out.</summary>
/// <param name="Name">The Kafka key, e.g. <c>linger.ms</c>.</param>
/// <param name="Parse">Returns the config with the value applied: (config, key, value). Throws on a bad value.</param>
/// <param name="Format">The config's value as the key's canonical string; null when the key is unset and its default depends on other keys.</param>
internal sealed record ConfigKey<TConfig>(
    string Name,
    Func<TConfig, string, string, TConfig> Parse,
    Func<TConfig, string?> Format);

/// <summary>
/// The keys of one config record (producer or consumer). Being the one place where each key is parsed and
/// formatted, it also checks typed values: a value is valid when its formatted form parses, so the ranges are
/// written once.
/// </summary>
internal sealed class ConfigKeys<TConfig>
{
    private readonly string _kind;
    private readonly ConfigKey<TConfig>[] _keys;
    private readonly Dictionary<string, ConfigKey<TConfig>> _byName;

    /// <param name="kind">What the keys configure, for messages: "producer".</param>
    /// <param name="keys">The keys in the order they are listed and formatted.</param>
    public ConfigKeys(string kind, params ConfigKey<TConfig>[] keys)
    {
        _kind = kind;
        _keys = keys;
        _byName = keys.ToDictionary(k => k.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Applies <paramref name="properties"/> on top of <paramref name="config"/>. Keys match exactly; values are
    /// trimmed as Kafka trims them. An unknown or repeated key is an error rather than silently ignored or
    /// overwritten, because either is usually a typo.
    /// </summary>
    public TConfig Apply(TConfig config, IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in properties)
        {
            if (!_byName.TryGetValue(name, out var key))
            {
                throw new ArgumentException(
                    $"unknown {_kind} config '{name}'; known keys: {string.Join(", ", _keys.Select(k => k.Name))}");
            }
            if (!seen.Add(name))
            {
                throw new ArgumentException($"{_kind} config '{name}' is given twice; give each key once");
            }
            if (value is null)
            {
                throw new ArgumentException($"{name} has no value (null)");
            }
            config = key.Parse(config, name, value.Trim());
        }
        return config;
    }

    /// <summary>Every key with its value, in table order; unset keys are left out.</summary>
    public IReadOnlyDictionary<string, string> ToProperties(TConfig config)
    {
        var properties = new Dictionary<string, string>(_keys.Length, StringComparer.Ordinal);
        foreach (var key in _keys)
        {
            if (key.Format(config) is { } value)
            {
                properties.Add(key.Name, value);
            }
        }
        return properties;
    }

    /// <summary>Throws the parse error of the first key whose typed value is out of its range.</summary>
    public void CheckValues(TConfig config)
    {
        foreach (var key in _keys)
        {
            if (key.Format(config) is { } value)
            {
                key.Parse(config, key.Name, value);
            }
        }
    }
}
