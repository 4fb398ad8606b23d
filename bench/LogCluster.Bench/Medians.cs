namespace LogCluster.Bench;

/// <summary>The median over repeats: every table in RESULTS.md quotes medians, since the machine is shared and noisy.</summary>
internal static class Medians
{
    public static double Of<T>(IReadOnlyCollection<T> runs, Func<T, double> value)
    {
        var values = runs.Select(value).Order().ToList();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
