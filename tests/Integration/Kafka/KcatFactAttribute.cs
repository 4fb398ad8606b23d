namespace LogCluster.Tests.Integration.Kafka;

/// <summary>
/// A test that runs Debian's kcat: skipped, with the reason in the results, where kcat is not on the PATH. CI
/// installs it (.ci/run), so there it always runs.
/// </summary>
public sealed class KcatFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> _installed = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, "kcat"))));

    public KcatFactAttribute()
    {
        if (!_installed.Value)
        {
            Skip = "kcat is not installed (apt-get install kcat; CI installs it)";
        }
    }
}
