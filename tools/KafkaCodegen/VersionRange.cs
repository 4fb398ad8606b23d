namespace LogCluster.KafkaCodegen;

/// <summary>A range of versions as schemas write it: "3+", "0-4", "2" or "none".</summary>
public readonly record struct VersionRange(short Lowest, short Highest)
{
    public static readonly VersionRange None = new(1, 0);

    public bool IsNone => Lowest > Highest;

    /// <summary>The part of this range inside <paramref name="other"/>.</summary>
    public VersionRange Within(VersionRange other) => new(Math.Max(Lowest, other.Lowest), Math.Min(Highest, other.Highest));

    public static VersionRange Parse(string text)
    {
        if (text == "none")
        {
            return None;
        }
        if (text.EndsWith('+'))
        {
            return new(short.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture), short.MaxValue);
        }
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash < 0
            ? new(Number(text), Number(text))
            : new(Number(text[..dash]), Number(text[(dash + 1)..]));
    }

    private static short Number(string text) => short.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A C# condition on the variable <c>version</c> that holds for this range within <paramref name="valid"/>.</summary>
    public string Condition(VersionRange valid)
    {
        if (IsNone)
        {
            return "false";
        }
        var low = Lowest > valid.Lowest ? $"version >= {Lowest}" : null;
        var high = Highest < valid.Highest ? $"version <= {Highest}" : null;
        return (low, high) switch
        {
            (null, null) => "true",
            (not null, null) => low,
            (null, not null) => high,
            _ => $"{low} && {high}",
        };
    }

    public override string ToString() => IsNone ? "none" : Highest == short.MaxValue ? $"{Lowest}+" : Lowest == Highest ? $"{Lowest}" : $"{Lowest}-{Highest}";
}
