using System.Globalization;

namespace LogCluster.Tests.Integration.Telemetry;

/// <summary>
/// One scrape of a Prometheus text exposition: each sample line <c>name{labels} value</c> keyed by everything
/// before the value. Parsed here rather than through a Prometheus server, which would add minutes of set-up.
/// </summary>
internal sealed class PrometheusScrape
{
    private readonly Dictionary<string, double> _samples;

    private PrometheusScrape(Dictionary<string, double> samples) => _samples = samples;

    public static async Task<PrometheusScrape> TakeAsync(HttpClient http, Uri metrics)
    {
        var text = await http.GetStringAsync(metrics);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }
            // A sample may end with a timestamp after the value; OpenTelemetry's exporter writes none, but allow it.
            var parts = line[(line.LastIndexOf('}') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            samples[line[..line.IndexOf(' ', Math.Max(0, line.LastIndexOf('}')))]] = double.Parse(parts[0], CultureInfo.InvariantCulture);
        }
        return new PrometheusScrape(samples);
    }

    /// <summary>The sum over samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/> (0 when none).</summary>
    public double Sum(string name, params string[] labels) => _samples
        .Where(s => (s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)) && labels.All(l => s.Key.Contains(l, StringComparison.Ordinal)))
        .Sum(s => s.Value);

    /// <summary>Whether any sample of the metric exists.</summary>
    public bool Has(string name) => _samples.Keys.Any(k => k == name || k.StartsWith(name + "{", StringComparison.Ordinal));
}
