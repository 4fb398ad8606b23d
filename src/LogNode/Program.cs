using System.Net;
using LogCluster.LogNode;
using LogCluster.LogNode.Producers;
using LogCluster.LogNode.Services;
using LogCluster.LogNode.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, NodeOptions.SwitchMappings);
builder.Services.Configure<NodeOptions>(builder.Configuration.GetSection(NodeOptions.Section));
var options = builder.Configuration.GetSection(NodeOptions.Section).Get<NodeOptions>() ?? new NodeOptions();

// The data path must not log per request: hosting's Information logs cost more than the appends.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddFilter("Grpc", LogLevel.Warning);

builder.WebHost.ConfigureKestrel(kestrel =>
{
    var listen = ListenAddress.Parse(options.Listen);
    kestrel.Listen(listen, o => o.Protocols = HttpProtocols.Http2);
    kestrel.Limits.MaxRequestBodySize = null;
});
builder.Services.AddGrpc(grpc =>
{
    grpc.MaxReceiveMessageSize = options.MaxRequestBytes;
    grpc.MaxSendMessageSize = null;
});
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(sp => new LogManager(
    options.DataDir,
    TopicConfig.Default.With(options.TopicDefaults),
    sp.GetRequiredService<TimeProvider>(),
    sp.GetRequiredService<ILogger<LogManager>>()));
builder.Services.AddSingleton<NodeIdentity>();
builder.Services.AddSingleton(sp => new ProducerIdAllocator(sp.GetRequiredService<LogManager>().DataDirectory));
builder.Services.AddSingleton<ProduceHandler>();
builder.Services.AddSingleton<FetchHandler>();
builder.Services.AddSingleton<OffsetLookup>();
builder.Services.AddHostedService<LogMaintenanceService>();

var app = builder.Build();
app.MapGrpcService<LogServiceEndpoint>();
app.MapGrpcService<AdminEndpoint>();

// Open (and recover) the logs before accepting traffic.
var logs = app.Services.GetRequiredService<LogManager>();
app.Lifetime.ApplicationStarted.Register(() =>
{
    // The bound address, not the advertised one: whoever started the node connects here (a proxy may stand in front).
    var (host, port) = app.Services.GetRequiredService<NodeIdentity>().BoundAddress;
#pragma warning disable RS0030 // The start-up line on stdout is the node's contract with scripts and tests.
    Console.WriteLine($"LogNode {options.NodeId} listening on http://{host}:{port} data-dir {logs.DataDirectory}");
#pragma warning restore RS0030
});
await app.RunAsync();

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
}
