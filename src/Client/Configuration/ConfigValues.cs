using System.Globalization;

namespace LogCluster.Client.Configuration;

/// <summary>
/// Parsers and formatters for the values of Kafka-style configuration keys, shared by the producer and consumer
/// SDKs. A value is taken as written (the key table trims it); every failure is an <see cref="ArgumentException"/>
/// naming the key, the value and what is allowed, so a user can fix a properties file without reading our code.
/// </summary>
internal static class ConfigValues
{
    /// <summary>
    /// Upper bound of every <c>.ms</c> key (24.8 days): Kafka's int-typed ones stop here too, and any delay built from
    /// one stays inside what .NET timers and <c>Task.Delay</c> accept.
    /// </summary>
    public const int MaxMilliseconds = int.MaxValue;

    public static int ParseInt32(string key, string value, int min, int max = int.MaxValue) =>
        (int)ParseInt64(key, value, min, max);

    public static long ParseInt64(string key, string value, long min, long max = long.MaxValue)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
            || parsed < min || parsed > max)
        {
            throw new ArgumentException(
                $"{key} must be an integer in [{Format(min)}, {Format(max)}], got '{value}'");
        }
        return parsed;
    }

    /// <summary>Whole milliseconds in [<paramref name="min"/>, <see cref="MaxMilliseconds"/>], for the <c>.ms</c> keys.</summary>
    public static TimeSpan ParseMilliseconds(string key, string value, int min)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
            || parsed < min)
        {
            throw new ArgumentException(
                $"{key} must be an integer in [{Format(min)}, {Format(MaxMilliseconds)}] milliseconds, got '{value}'");
        }
        return TimeSpan.FromMilliseconds(parsed);
    }

    /// <summary><c>true</c> or <c>false</c> in any case, as Java's ConfigDef reads booleans; nothing else.</summary>
    public static bool ParseBoolean(string key, string value)
    {
        if (string.Equals(value, "true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (string.Equals(value, "false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        throw new ArgumentException($"{key} must be true or false, got '{value}'");
    }

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Format(bool value) => value ? "true" : "false";

    /// <summary>
    /// Whole milliseconds, rounded down: a negative fraction stays negative so that checking the formatted value
    /// still rejects it.
    /// </summary>
    public static string FormatMilliseconds(TimeSpan value) => Format((long)Math.Floor(value.TotalMilliseconds));
}
