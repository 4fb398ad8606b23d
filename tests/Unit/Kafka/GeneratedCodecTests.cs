using LogCluster.KafkaCodegen;

namespace LogCluster.Tests.Unit.Kafka;

/// <summary>The checked-in codecs are what the schemas in proto/kafka generate: nobody edited one and forgot the other.</summary>
public sealed class GeneratedCodecTests
{
    [Fact]
    public void CheckedInCodecs_MatchTheSchemas()
    {
        var root = Generator.FindRepoRoot(AppContext.BaseDirectory);
        var generated = Generator.Generate(root);
        var onDisk = Directory.GetFiles(Path.Combine(root, Generator.OutputFolder), "*.g.cs")
            .Select(f => $"{Generator.OutputFolder}/{Path.GetFileName(f)}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(generated.Keys.Order(StringComparer.Ordinal), onDisk);
        foreach (var (path, text) in generated)
        {
            Assert.True(text == File.ReadAllText(Path.Combine(root, path)), $"{path} is stale: run `dotnet run --project tools/KafkaCodegen`");
        }
    }

    [Fact]
    public void ASchemaError_NamesTheFileAndLine()
    {
        var error = Assert.Throws<FormatException>(() => SchemaParser.Parse("message Broken key=1 versions=0+\n  Field int32\n", "Broken.schema"));

        Assert.StartsWith("Broken.schema:2:", error.Message);
    }
}
