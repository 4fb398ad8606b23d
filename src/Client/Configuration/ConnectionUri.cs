namespace LogCluster.Client.Configuration;

/// <summary>
/// A connection URI, <c>logcluster://host1:7070,host2:7070?acks=all&amp;linger.ms=5</c>: the hosts are the
/// bootstrap servers and the query holds configuration keys. <see cref="System.Uri"/> rejects an authority with
/// several hosts, so the string is split here.
/// </summary>
/// <param name="BootstrapServers">The host list as written, e.g. <c>host1:7070,host2:7070</c>.</param>
/// <param name="Options">The query's key/value pairs in their order, percent-decoded.</param>
internal sealed record ConnectionUri(string BootstrapServers, IReadOnlyList<KeyValuePair<string, string>> Options)
{
    private const string Prefix = "logcluster://";
    private const string Example = "logcluster://host1:7070,host2:7070?key=value&key=value";

    public static ConnectionUri Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"connection URI must start with {Prefix}, got '{uri}'; write {Example}");
        }

        var rest = uri[Prefix.Length..];
        var fragment = rest.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            throw new ArgumentException($"connection URI must not have a fragment ('{rest[fragment..]}'); write {Example}");
        }

        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var authority = question < 0 ? rest : rest[..question];
        var query = question < 0 ? "" : rest[(question + 1)..];

        // A single trailing '/' is what many tools add before the query; any other path is a mistake.
        var slash = authority.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (slash != authority.Length - 1)
            {
                throw new ArgumentException($"connection URI must not have a path ('{authority[slash..]}'); write {Example}");
            }
            authority = authority[..slash];
        }

        // Checked before the hosts so that the message does not repeat a password.
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException(
                "connection URI must not contain user info ('user@'): this version has no authentication");
        }
        if (authority.Length == 0)
        {
            throw new ArgumentException($"connection URI '{uri}' names no hosts; write {Example}");
        }
        HostPort.ParseList("connection URI", authority);
        return new ConnectionUri(authority, ParseQuery(query));
    }

    private static List<KeyValuePair<string, string>> ParseQuery(string query)
    {
        var options = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Empty pieces (a trailing '?' or '&', or '&&') carry nothing and are skipped.
        foreach (var piece in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = piece.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw new ArgumentException($"connection URI option '{piece}' has no value; write key=value");
            }
            if (equals == 0)
            {
                throw new ArgumentException($"connection URI option '{piece}' has no key; write key=value");
            }

            // RFC 3986 percent-decoding only: '+' stays a plus, as it may in a client.id.
            var key = Uri.UnescapeDataString(piece[..equals]);
            var value = Uri.UnescapeDataString(piece[(equals + 1)..]);
            if (!seen.Add(key))
            {
                throw new ArgumentException($"connection URI option '{key}' is given twice; give each key once");
            }
            options.Add(new KeyValuePair<string, string>(key, value));
        }
        return options;
    }
}
