namespace LogCluster.LogNode.Storage;

/// <summary>Kafka's topic name rule: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".</summary>
internal static class TopicNames
{
    public const int MaxLength = 249;

    public static string? Problem(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "topic name is empty";
        }
        if (name.Length > MaxLength)
        {
            return $"topic name is {name.Length} characters; at most {MaxLength} are allowed";
        }
        if (name is "." or "..")
        {
            return $"topic name '{name}' is reserved";
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"topic name '{name}' contains '{c}'; only [a-zA-Z0-9._-] are allowed";
            }
        }
        return null;
    }
}
