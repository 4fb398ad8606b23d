namespace LogCluster.Tests.Integration.Kafka;

/// <summary>
/// A test that runs kafkajs under node: skipped, with the reason in the results, where node is not on the PATH or
/// kafkajs is not installed next to the script. CI installs both (.ci/run: apt-get nodejs npm, npm ci).
/// </summary>
public sealed class KafkajsFactAttribute : FactAttribute
{
    /// <summary>Where `npm ci` installs kafkajs: the source folder, found from the test assembly.</summary>
    public static string Modules => Path.Combine(SourceFolder, "node_modules");

    /// <summary>The folder with the script, package.json and package-lock.json, in the source tree.</summary>
    public static string SourceFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LogCluster.sln")))
            {
                dir = dir.Parent;
            }
            return Path.Combine(dir?.FullName ?? ".", "tests", "Integration", "Kafka", "kafkajs");
        }
    }

    private static readonly Lazy<bool> _installed = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, "node")))
        && Directory.Exists(Path.Combine(Modules, "kafkajs")));

    public KafkajsFactAttribute()
    {
        if (!_installed.Value)
        {
            Skip = "node or kafkajs is not installed (npm ci --prefix tests/Integration/Kafka/kafkajs; CI installs both)";
        }
    }
}
