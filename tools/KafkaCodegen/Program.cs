using LogCluster.KafkaCodegen;

// Regenerates the Kafka codecs: writes every generated file and deletes generated files no schema produces any more.
var root = Generator.FindRepoRoot(args.Length > 0 ? args[0] : Directory.GetCurrentDirectory());
var files = Generator.Generate(root);
var output = Path.Combine(root, Generator.OutputFolder);
Directory.CreateDirectory(output);
foreach (var stale in Directory.GetFiles(output, "*.g.cs").Where(f => !files.ContainsKey($"{Generator.OutputFolder}/{Path.GetFileName(f)}")))
{
    File.Delete(stale);
}
foreach (var (path, text) in files)
{
    File.WriteAllText(Path.Combine(root, path), text);
}
Console.WriteLine($"{files.Count} files in {Generator.OutputFolder}");
