using System.Globalization;
using System.Net;

namespace LogCluster.LogNode.Metadata.Quorum;

/// <summary>One member of the metadata quorum: its node id and the address its Raft (TCP) listener binds.</summary>
internal sealed record QuorumVoter(int NodeId, IPEndPoint EndPoint)
{
    public override string ToString() => $"{NodeId}@{EndPoint}";
}

/// <summary>
/// The static quorum membership, as the <c>--voters</c> flag gives it: <c>"1@127.0.0.1:9091,2@127.0.0.1:9092"</c>
/// (KRaft's controller.quorum.voters). Every voter must be given the same list.
/// </summary>
internal static class QuorumVoters
{
    /// <summary>Parses <c>id@ip:port</c> entries separated by commas. IPv6 addresses are written <c>[::1]:9091</c>.</summary>
    /// <exception cref="FormatException">An entry is not <c>id@ip:port</c>.</exception>
    /// <exception cref="ArgumentException">The list is empty, or a node id or an endpoint appears twice.</exception>
    public static IReadOnlyList<QuorumVoter> Parse(string voters)
    {
        ArgumentNullException.ThrowIfNull(voters);
        if (string.IsNullOrWhiteSpace(voters))
        {
            throw new ArgumentException("The voter list is empty; expected \"id@ip:port,...\", e.g. \"1@127.0.0.1:9091\".", nameof(voters));
        }
        var parsed = voters.Split(',', StringSplitOptions.TrimEntries).Select(ParseOne).ToList();
        Validate(parsed);
        return parsed;
    }

    /// <summary>Checks a voter list: not empty, node ids not negative, no node id and no endpoint twice.</summary>
    /// <exception cref="ArgumentException">The list breaks one of these rules.</exception>
    public static void Validate(IReadOnlyList<QuorumVoter> voters)
    {
        ArgumentNullException.ThrowIfNull(voters);
        if (voters.Count == 0)
        {
            throw new ArgumentException("The quorum needs at least one voter.", nameof(voters));
        }
        foreach (var voter in voters)
        {
            ArgumentNullException.ThrowIfNull(voter, nameof(voters));
            if (voter.NodeId < 0)
            {
                throw new ArgumentException($"Voter {voter}: node ids are not negative.", nameof(voters));
            }
        }
        if (voters.GroupBy(v => v.NodeId).FirstOrDefault(g => g.Count() > 1) is { } sameId)
        {
            throw new ArgumentException($"Node id {sameId.Key} appears twice in the voter list ({string.Join(", ", sameId)}).", nameof(voters));
        }
        if (voters.GroupBy(v => v.EndPoint).FirstOrDefault(g => g.Count() > 1) is { } sameEndPoint)
        {
            throw new ArgumentException($"Endpoint {sameEndPoint.Key} appears twice in the voter list ({string.Join(", ", sameEndPoint)}).", nameof(voters));
        }
    }

    /// <summary>
    /// The node id of the voter at <paramref name="endPoint"/> (as the Raft library names a member), or null when
    /// no voter has that address.
    /// </summary>
    public static int? FindNodeId(IReadOnlyList<QuorumVoter> voters, EndPoint? endPoint)
    {
        ArgumentNullException.ThrowIfNull(voters);
        if (endPoint is null)
        {
            return null;
        }
        foreach (var voter in voters)
        {
            if (SameEndPoint(voter.EndPoint, endPoint))
            {
                return voter.NodeId;
            }
        }
        return null;
    }

    private static bool SameEndPoint(IPEndPoint voter, EndPoint other) => other switch
    {
        IPEndPoint ip => ip.Port == voter.Port && Normalize(ip.Address).Equals(Normalize(voter.Address)),
        _ => string.Equals(other.ToString(), voter.ToString(), StringComparison.OrdinalIgnoreCase),
    };

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static QuorumVoter ParseOne(string entry)
    {
        var at = entry.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == entry.Length - 1)
        {
            throw new FormatException($"Voter \"{entry}\" is not \"id@ip:port\" (e.g. \"1@127.0.0.1:9091\").");
        }
        var idText = entry[..at];
        var address = entry[(at + 1)..];
        if (!int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var nodeId))
        {
            throw new FormatException($"Voter \"{entry}\": node id \"{idText}\" is not a non-negative integer.");
        }
        if (!HasPort(address) || !IPEndPoint.TryParse(address, out var endPoint))
        {
            throw new FormatException(
                $"Voter \"{entry}\": \"{address}\" is not \"ip:port\" (an IP address, not a host name; IPv6 as \"[::1]:9091\").");
        }
        if (endPoint.Port == 0)
        {
            throw new FormatException($"Voter \"{entry}\": port 0 is not allowed; every voter needs a fixed Raft port.");
        }
        return new QuorumVoter(nodeId, endPoint);
    }

    /// <summary>IPEndPoint.TryParse accepts an address without a port (port 0); a voter needs one.</summary>
    private static bool HasPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && colon < address.Length - 1 && (address[0] != '[' || address[colon - 1] == ']');
    }
}
