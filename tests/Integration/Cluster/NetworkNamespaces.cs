using System.Diagnostics;
using System.Globalization;
using LogCluster.Cli.LocalCluster;

namespace LogCluster.Tests.Integration.Cluster;

/// <summary>
/// Test hosts 1..N as Linux network namespaces on a private bridge, host i at 10.77.0.i. The bridge sits in a
/// namespace of its own, so nothing is added to this machine's network: no address, route or rule outside the
/// namespaces, which are deleted on dispose. Links between two hosts are cut with blackhole routes on both
/// sides, which drop their packets silently, as a failed switch port would, while each keeps reaching the rest.
/// Needs root and iproute2 (.ci/run installs it).
/// </summary>
internal sealed class NetworkNamespaces : IDisposable
{
    private const string Subnet = "10.77.0";
    private const string Prefix = "lct";
    private static int _instances;
    private readonly string _name;

    private NetworkNamespaces(string name, int hosts)
    {
        _name = name;
        Hosts = hosts;
    }

    public int Hosts { get; }

    private string Switch => $"{_name}-sw";

    public string Namespace(int host) => $"{_name}-n{host}";

    public static string Address(int host) => string.Create(CultureInfo.InvariantCulture, $"{Subnet}.{host}");

    /// <summary>A node placed on <paramref name="host"/>: it binds the host's address and is started inside its namespace.</summary>
    public NodeHost NodeHost(int host) => new(Address(host), ["ip", "netns", "exec", Namespace(host)]);

    public static NetworkNamespaces Create(int hosts)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            throw new InvalidOperationException("network namespaces need Linux and root; run the integration tests as root (CI does)");
        }
        RemoveLeftovers();
        var name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}x{Interlocked.Increment(ref _instances)}");
        var namespaces = new NetworkNamespaces(name, hosts);
        try
        {
            namespaces.Build();
        }
        catch
        {
            namespaces.Dispose();
            throw;
        }
        return namespaces;
    }

    private void Build()
    {
        Ip("netns", "add", Switch);
        Ip("-n", Switch, "link", "add", "br0", "type", "bridge");
        Ip("-n", Switch, "link", "set", "br0", "up");
        for (var host = 1; host <= Hosts; host++)
        {
            var port = $"p{host}";
            Ip("netns", "add", Namespace(host));
            Ip("link", "add", "eth0", "netns", Namespace(host), "type", "veth", "peer", "name", port, "netns", Switch);
            Ip("-n", Switch, "link", "set", port, "master", "br0");
            Ip("-n", Switch, "link", "set", port, "up");
            Ip("-n", Namespace(host), "addr", "add", $"{Address(host)}/24", "dev", "eth0");
            Ip("-n", Namespace(host), "link", "set", "eth0", "up");
            Ip("-n", Namespace(host), "link", "set", "lo", "up");
        }
    }

    /// <summary>Drops every packet between hosts <paramref name="a"/> and <paramref name="b"/>, both ways.</summary>
    public void Cut(int a, int b)
    {
        Ip("-n", Namespace(a), "route", "add", "blackhole", $"{Address(b)}/32");
        Ip("-n", Namespace(b), "route", "add", "blackhole", $"{Address(a)}/32");
    }

    /// <summary>Undoes <see cref="Cut"/>.</summary>
    public void Restore(int a, int b)
    {
        Ip("-n", Namespace(a), "route", "del", "blackhole", $"{Address(b)}/32");
        Ip("-n", Namespace(b), "route", "del", "blackhole", $"{Address(a)}/32");
    }

    public void Dispose()
    {
        foreach (var name in Enumerable.Range(1, Hosts).Select(Namespace).Append(Switch))
        {
            TryIp("netns", "del", name);
        }
    }

    /// <summary>Namespaces of test runs that died before disposing theirs (their process id is in the name).</summary>
    private static void RemoveLeftovers()
    {
        foreach (var line in Run("ip", ["netns", "list"]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(Prefix, StringComparison.Ordinal)
                && int.TryParse(name[Prefix.Length..name.IndexOf('x', StringComparison.Ordinal)], CultureInfo.InvariantCulture, out var pid)
                && !Directory.Exists($"/proc/{pid}"))
            {
                TryIp("netns", "del", name);
            }
        }
    }

    private static void Ip(params string[] args) => Run("ip", args);

    private static void TryIp(params string[] args)
    {
        try
        {
            Run("ip", args);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string Run(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
        }
        return output.Result;
    }
}
