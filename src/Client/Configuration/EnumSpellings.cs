namespace LogCluster.Client.Configuration;

/// <summary>
/// The spellings a configuration key accepts for an enum, matched exactly as Kafka matches them
/// (<c>acks=all</c>, not <c>ALL</c>). The first spelling of a value is the one <see cref="Format"/> writes.
/// </summary>
internal sealed class EnumSpellings<T>
    where T : struct, Enum
{
    private readonly (string Spelling, T Value)[] _spellings;

    public EnumSpellings(params (string Spelling, T Value)[] spellings)
    {
        _spellings = spellings;
    }

    public T Parse(string key, string value)
    {
        foreach (var (spelling, parsed) in _spellings)
        {
            if (string.Equals(spelling, value, StringComparison.Ordinal))
            {
                return parsed;
            }
        }
        var allowed = string.Join(", ", _spellings.Select(s => s.Spelling));
        throw new ArgumentException($"{key} must be one of {allowed}, got '{value}'");
    }

    /// <summary>The canonical spelling; an undefined value formats as its number, which <see cref="Parse"/> rejects.</summary>
    public string Format(T value)
    {
        foreach (var (spelling, candidate) in _spellings)
        {
            if (EqualityComparer<T>.Default.Equals(candidate, value))
            {
                return spelling;
            }
        }
        return value.ToString();
    }
}
