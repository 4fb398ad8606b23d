using System.Globalization;

namespace LogCluster.Client.Configuration;

/// <summary>
/// One entry of a <c>host:port</c> list such as <c>bootstrap.servers</c>. An IPv6 address is written in brackets
/// (<c>[::1]:7070</c>) and kept here without them, as name resolution wants it.
/// </summary>
internal readonly record struct HostPort(string Host, int Port)
{
    /// <summary>
    /// Parses a comma-separated list; entries are trimmed as Kafka trims them. <paramref name="source"/> names the
    /// list in messages (a key, or "connection URI").
    /// </summary>
    public static IReadOnlyList<HostPort> ParseList(string source, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{source} must list at least one host:port, e.g. 'localhost:7070', got '{value}'");
        }
        var entries = value.Split(',');
        var endpoints = new HostPort[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            endpoints[i] = Parse(source, value, entries[i].Trim());
        }
        return endpoints;
    }

    private static HostPort Parse(string source, string list, string entry)
    {
        if (entry.Length == 0)
        {
            throw new ArgumentException(
                $"{source} has an empty entry in '{list}'; separate host:port entries with single commas");
        }

        string host;
        string port;
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= entry.Length || entry[close + 1] != ':')
            {
                throw new ArgumentException($"{source} entry '{entry}' must be [ipv6]:port, e.g. '[::1]:7070'");
            }
            host = entry[1..close];
            port = entry[(close + 2)..];
        }
        else
        {
            var colon = entry.LastIndexOf(':');
            if (colon < 0)
            {
                throw new ArgumentException($"{source} entry '{entry}' has no port; write host:port, e.g. '{entry}:7070'");
            }
            host = entry[..colon];
            port = entry[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"{source} entry '{entry}' looks like an IPv6 address; write it in brackets, e.g. '[::1]:7070'");
            }
        }

        if (host.Length == 0 || !host.All(IsHostChar))
        {
            throw new ArgumentException(
                $"{source} entry '{entry}' has an invalid host '{host}'; use a host name or an IP address");
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            throw new ArgumentException($"{source} entry '{entry}' must have a port in [1, 65535], got '{port}'");
        }
        return new HostPort(host, number);
    }

    // Letters, digits, '.', '-' and '_' cover host names and IPv4; ':' and '%' (zone index) complete IPv6.
    // Rejecting the rest catches user info, paths and stray spaces with a message about the host.
    private static bool IsHostChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '%';
}
