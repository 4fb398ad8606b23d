namespace LogCluster.KafkaCodegen;

/// <summary>
/// Reads the team's schema files (proto/kafka/*.schema). A message line, then its fields indented two spaces, a
/// struct's fields two more under the field that uses it:
/// <code>
/// # What the message is for (kept as its doc comment).
/// message ApiVersionsResponse key=18 versions=0-4 flexible=3+
///   ErrorCode int16 versions=0+
///   ApiKeys []ApiVersion versions=0+
///     ApiKey int16 versions=0+
///   ThrottleTimeMs int32 versions=1+
/// </code>
/// Field options: versions=R (required), nullable=R, tag=N, default=V, compact=never.
/// </summary>
public static class SchemaParser
{
    private static readonly HashSet<string> _primitives =
        ["int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "bool", "string", "bytes", "records", "uuid"];

    public static bool IsPrimitive(string type) => _primitives.Contains(type);

    public static IReadOnlyList<MessageSchema> Parse(string text, string file)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var messages = new List<MessageSchema>();
        var index = 0;
        var comment = new List<string>();
        while (index < lines.Count)
        {
            var line = lines[index];
            if (line.Trim().Length == 0)
            {
                comment.Clear();
                index++;
                continue;
            }
            if (line.TrimStart().StartsWith('#'))
            {
                comment.Add(line.TrimStart()[1..].Trim());
                index++;
                continue;
            }
            if (!line.StartsWith("message ", StringComparison.Ordinal))
            {
                throw Error(file, index, "expected a message line");
            }
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var options = Options(words[2..], file, index);
            var name = words[1];
            var valid = VersionRange.Parse(Required(options, "versions", file, index));
            var flexible = VersionRange.Parse(options.GetValueOrDefault("flexible", "none"));
            short? key = options.TryGetValue("key", out var k) ? short.Parse(k, System.Globalization.CultureInfo.InvariantCulture) : null;
            var messageComment = string.Join(" ", comment);
            comment.Clear();
            index++;
            var fields = ParseFields(lines, ref index, 2, file);
            messages.Add(new MessageSchema(name, key, valid, flexible, new StructSchema(name, fields), messageComment));
        }
        return messages;
    }

    private static List<FieldSchema> ParseFields(List<string> lines, ref int index, int indent, string file)
    {
        var fields = new List<FieldSchema>();
        var comment = new List<string>();
        while (index < lines.Count)
        {
            var line = lines[index];
            var trimmed = line.TrimStart();
            var lineIndent = line.Length - trimmed.Length;
            if (trimmed.Length == 0 || lineIndent < indent)
            {
                return fields;
            }
            if (lineIndent != indent)
            {
                throw Error(file, index, $"expected an indent of {indent} spaces");
            }
            if (trimmed.StartsWith('#'))
            {
                comment.Add(trimmed[1..].Trim());
                index++;
                continue;
            }
            var words = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 3)
            {
                throw Error(file, index, "a field needs a name, a type and versions=");
            }
            var options = Options(words[2..], file, index);
            var type = words[1];
            var element = type.StartsWith("[]", StringComparison.Ordinal) ? type[2..] : type;
            var fieldLine = index;
            index++;
            StructSchema? nested = null;
            if (!IsPrimitive(element))
            {
                var nestedFields = ParseFields(lines, ref index, indent + 2, file);
                if (nestedFields.Count == 0)
                {
                    throw Error(file, fieldLine, $"struct {element} has no fields");
                }
                nested = new StructSchema(element, nestedFields);
            }
            fields.Add(new FieldSchema(
                words[0],
                type,
                VersionRange.Parse(Required(options, "versions", file, fieldLine)),
                VersionRange.Parse(options.GetValueOrDefault("nullable", "none")),
                options.TryGetValue("tag", out var tag) ? uint.Parse(tag, System.Globalization.CultureInfo.InvariantCulture) : null,
                options.GetValueOrDefault("default"),
                options.GetValueOrDefault("compact") == "never",
                nested,
                string.Join(" ", comment)));
            comment.Clear();
        }
        return fields;
    }

    private static Dictionary<string, string> Options(string[] words, string file, int index)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in words)
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Error(file, index, $"'{word}' is not an option=value");
            }
            options[word[..equals]] = word[(equals + 1)..];
        }
        return options;
    }

    private static string Required(Dictionary<string, string> options, string key, string file, int index) =>
        options.TryGetValue(key, out var value) ? value : throw Error(file, index, $"{key}= is required");

    private static FormatException Error(string file, int index, string message) => new($"{file}:{index + 1}: {message}");
}
