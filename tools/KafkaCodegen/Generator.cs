namespace LogCluster.KafkaCodegen;

/// <summary>The whole step: every schema in proto/kafka to the C# files under src/LogNode/Kafka/Wire/Generated.</summary>
public static class Generator
{
    public const string SchemaFolder = "proto/kafka";
    public const string OutputFolder = "src/LogNode/Kafka/Wire/Generated";

    /// <summary>Each generated file's path (relative to the repository) and text.</summary>
    public static IReadOnlyDictionary<string, string> Generate(string repoRoot)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(Path.Combine(repoRoot, SchemaFolder), "*.schema").Order(StringComparer.Ordinal))
        {
            var schemaFile = Path.GetFileName(path);
            foreach (var message in SchemaParser.Parse(File.ReadAllText(path), schemaFile))
            {
                files[$"{OutputFolder}/{message.Name}.g.cs"] = CSharpEmitter.Message(message, schemaFile);
            }
        }
        return files;
    }

    /// <summary>The repository root: the nearest folder up from <paramref name="start"/> that holds LogCluster.sln.</summary>
    public static string FindRepoRoot(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "LogCluster.sln")))
            {
                return folder.FullName;
            }
        }
        throw new DirectoryNotFoundException($"no LogCluster.sln above {start}");
    }
}
