using System.Net;
using LogCluster.LogNode;
using LogCluster.LogNode.Cluster;
using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka;
using LogCluster.LogNode.Kafka.Apis;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Metadata.Controller;
using LogCluster.LogNode.Metadata.Quorum;
using LogCluster.LogNode.Producers;
using LogCluster.LogNode.Replication;
using LogCluster.LogNode.Services;
using LogCluster.LogNode.Storage;
using LogCluster.LogNode.Telemetry;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

if (args is [HealthProbe.Verb, ..])
{
#pragma warning disable RS0030 // The probe's verdict goes to the container runtime's health log.
    return await HealthProbe.RunAsync(args.Length > 1 ? args[1] : "127.0.0.1:7070", Console.Out);
#pragma warning restore RS0030
}

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, NodeOptions.SwitchMappings);
builder.Services.Configure<NodeOptions>(builder.Configuration.GetSection(NodeOptions.Section));
var options = builder.Configuration.GetSection(NodeOptions.Section).Get<NodeOptions>() ?? new NodeOptions();

// The data path must not log per request: hosting's Information logs cost more than the appends.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddFilter("Grpc", LogLevel.Warning);
// Every health probe before the node registers would log an error: NOT_SERVING at start is the answer, not a fault.
builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
// Failover is read from the logs of several nodes side by side: every line carries a UTC time to the millisecond.
builder.Logging.AddSimpleConsole(console =>
{
    console.TimestampFormat = "HH:mm:ss.fff ";
    console.UseUtcTimestamp = true;
});

builder.WebHost.ConfigureKestrel(kestrel =>
{
    var listen = ListenAddress.Parse(options.Listen);
    kestrel.Listen(listen, o => o.Protocols = HttpProtocols.Http2);
    if (options.ExternalListen is { } external)
    {
        kestrel.Listen(ListenAddress.ParseExternal(external, options.ExternalAdvertisedHost), o => o.Protocols = HttpProtocols.Http2);
    }
    if (options.MetricsListen is { } metrics)
    {
        kestrel.Listen(ListenAddress.Parse(metrics), o => o.Protocols = HttpProtocols.Http1);
    }
    if (options.KafkaListen is { } kafka)
    {
        kestrel.Listen(ListenAddress.ParseKafka(kafka, options.KafkaAdvertisedHost), o => o.UseConnectionHandler<KafkaConnectionHandler>());
    }
    kestrel.Limits.MaxRequestBodySize = null;
});
builder.Services.AddGrpc(grpc =>
{
    grpc.MaxReceiveMessageSize = options.MaxRequestBytes;
    grpc.MaxSendMessageSize = null;
});
builder.Services.AddGrpcHealthChecks().AddCheck<NodeReadiness>("registered");
NodeTelemetry.Add(builder.Services, options);
builder.Services.AddSingleton(TimeProvider.System);
var topicDefaults = TopicConfig.Default.With(options.TopicDefaults);
builder.Services.AddSingleton(topicDefaults);
builder.Services.AddSingleton(sp => new LogManager(options.DataDir, topicDefaults, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LogManager>>()));
builder.Services.AddSingleton<NodeIdentity>();
builder.Services.AddSingleton<IMetadataQuorum>(sp => new RaftMetadataQuorum(
    options.NodeId,
    options.Voters is { } voters ? QuorumVoters.Parse(voters) : [new QuorumVoter(options.NodeId, new IPEndPoint(IPAddress.Loopback, FreeLoopbackPort()))],
    Path.Combine(sp.GetRequiredService<LogManager>().DataDirectory, "meta", "raft"),
    RaftTimeouts.FromElectionTimeout(TimeSpan.FromMilliseconds(options.ElectionTimeoutMs)),
    sp.GetRequiredService<ILoggerFactory>()));
builder.Services.AddSingleton(new ControllerSettings(
    TimeSpan.FromMilliseconds(options.HeartbeatIntervalMs),
    TimeSpan.FromMilliseconds(options.SessionTimeoutMs),
    TimeSpan.FromMilliseconds(options.DeadNodeGraceMs),
    topicDefaults));
builder.Services.AddSingleton(new ReplicationSettings(TimeSpan.FromMilliseconds(options.ReplicaLagTimeMaxMs), TimeSpan.FromMilliseconds(Math.Min(250, options.ReplicaLagTimeMaxMs / 2))));
builder.Services.AddSingleton<PeerChannels>();
builder.Services.AddSingleton<ControllerClient>();
builder.Services.AddSingleton<ActiveController>();
builder.Services.AddSingleton<ReplicaManager>();
builder.Services.AddSingleton<ProducerIdAllocator>();
builder.Services.AddSingleton<ProduceHandler>();
builder.Services.AddSingleton<FetchHandler>();
builder.Services.AddSingleton<OffsetLookup>();
builder.Services.AddSingleton<TopicAdmin>();
builder.Services.AddSingleton(new OffsetsTopic(options.OffsetsTopicPartitions, options.OffsetsTopicReplicationFactor));
builder.Services.AddSingleton<GroupCoordinator>();
builder.Services.AddSingleton<CoordinatorLocator>();
builder.Services.AddSingleton<IKafkaApi, MetadataApi>();
builder.Services.AddSingleton<IKafkaApi, ProduceApi>();
builder.Services.AddSingleton<IKafkaApi, FetchApi>();
builder.Services.AddSingleton<IKafkaApi, ListOffsetsApi>();
builder.Services.AddSingleton<IKafkaApi, OffsetForLeaderEpochApi>();
builder.Services.AddSingleton<IKafkaApi, InitProducerIdApi>();
builder.Services.AddSingleton<IKafkaApi, FindCoordinatorApi>();
builder.Services.AddSingleton<IKafkaApi, OffsetCommitApi>();
builder.Services.AddSingleton<IKafkaApi, OffsetFetchApi>();
builder.Services.AddSingleton<IKafkaApi, ConsumerGroupHeartbeatApi>();
builder.Services.AddSingleton<IKafkaApi, JoinGroupApi>();
builder.Services.AddSingleton<IKafkaApi, SyncGroupApi>();
builder.Services.AddSingleton<IKafkaApi, HeartbeatApi>();
builder.Services.AddSingleton<IKafkaApi, LeaveGroupApi>();
builder.Services.AddSingleton<IKafkaApi, CreateTopicsApi>();
builder.Services.AddSingleton<IKafkaApi, DeleteTopicsApi>();
builder.Services.AddSingleton<IKafkaApi, ListGroupsApi>();
builder.Services.AddSingleton<IKafkaApi, DescribeClusterApi>();
builder.Services.AddSingleton<ServedKafkaApis>();
builder.Services.AddSingleton<KafkaClusterId>();
// Order matters: the quorum is joined before anything reads the image.
builder.Services.AddHostedService<MetadataQuorumService>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ReplicaManager>());
builder.Services.AddHostedService<ControllerDuties>();
builder.Services.AddHostedService<NodeHeartbeats>();
builder.Services.AddHostedService<LogMaintenanceService>();
builder.Services.AddHostedService<GroupSessions>();

var app = builder.Build();
app.MapGrpcService<LogServiceEndpoint>();
app.MapGrpcService<AdminEndpoint>();
app.MapGrpcService<ControllerEndpoint>();
app.MapGrpcService<GroupEndpoint>();
app.MapGrpcHealthChecksService();
if (options.MetricsListen is not null)
{
    app.MapPrometheusScrapingEndpoint();
}
// The gauges exist once created: before the first scrape, not at its first use.
app.Services.GetRequiredService<NodeGauges>();

// Open (and recover) the logs before accepting traffic.
var logs = app.Services.GetRequiredService<LogManager>();
app.Lifetime.ApplicationStarted.Register(() => _ = AnnounceWhenReadyAsync());
await app.RunAsync();
return 0;

// The line comes once the controller has registered this process, so the node serves its partitions when it appears.
async Task AnnounceWhenReadyAsync()
{
    await app.Services.GetRequiredService<ReplicaManager>().Registered.WaitAsync(app.Lifetime.ApplicationStopping);
    // The bound address, not the advertised one: whoever started the node connects here (a proxy may stand in front).
    var (host, port) = app.Services.GetRequiredService<NodeIdentity>().BoundAddress;
#pragma warning disable RS0030 // The start-up line on stdout is the node's contract with scripts and tests.
    Console.WriteLine($"LogNode {options.NodeId} listening on http://{host}:{port} data-dir {logs.DataDirectory}");
#pragma warning restore RS0030
}

static int FreeLoopbackPort()
{
    using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

/// <summary>Parses the --listen value: "127.0.0.1:7070", "[::1]:7070", "0.0.0.0:7070" or "localhost:7070".</summary>
internal static class ListenAddress
{
    public static IPEndPoint Parse(string value)
    {
        if (IPEndPoint.TryParse(value, out var endpoint))
        {
            return endpoint;
        }
        var separator = value.LastIndexOf(':');
        if (separator > 0 && value[..separator] == "localhost" && int.TryParse(value[(separator + 1)..], out var port))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }
        throw new OptionsValidationException(nameof(NodeOptions.Listen), typeof(NodeOptions), [$"--listen must be host:port with an IP address or localhost, got '{value}'"]);
    }

    /// <summary>
    /// The --external-listen value: a fixed port (clients are told it, and calls are recognised by it), and on a
    /// wildcard address an advertised host, since 0.0.0.0 is no address to give a client.
    /// </summary>
    public static IPEndPoint ParseExternal(string value, string? advertisedHost) =>
        ParseAdvertised(value, advertisedHost, "external", nameof(NodeOptions.ExternalListen));

    public static IPEndPoint ParseKafka(string value, string? advertisedHost) =>
        ParseAdvertised(value, advertisedHost, "kafka", nameof(NodeOptions.KafkaListen));

    /// <summary>A listener whose address other nodes hand out: a fixed port, and a host clients can use.</summary>
    private static IPEndPoint ParseAdvertised(string value, string? advertisedHost, string listener, string option)
    {
        var endpoint = Parse(value);
        var problem = endpoint.Port == 0
            ? $"--{listener}-listen needs a fixed port, got '{value}'"
            : (endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)) && advertisedHost is null
                ? $"--{listener}-listen {value} listens on every interface: set --{listener}-advertised-host to the host clients use"
                : null;
        return problem is null ? endpoint : throw new OptionsValidationException(option, typeof(NodeOptions), [problem]);
    }
}
