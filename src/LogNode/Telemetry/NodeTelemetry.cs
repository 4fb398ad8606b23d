using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LogCluster.LogNode.Telemetry;

/// <summary>
/// Wires the node's meter and spans into OpenTelemetry: a Prometheus scrape endpoint when --metrics-listen is
/// set, OTLP push when --otlp-endpoint is. OpenTelemetry rather than a hand-written exposition: it is the
/// package the SDKs' users already run, and the same instruments then feed any backend.
/// </summary>
internal static class NodeTelemetry
{
    public static void Add(IServiceCollection services, NodeOptions options)
    {
        services.AddSingleton<NodeMetrics>();
        services.AddSingleton<NodeGauges>();
        var otlp = options.OtlpEndpoint is { } endpoint ? new Uri(endpoint) : null;
        var protocol = options.OtlpProtocol switch
        {
            "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new OptionsValidationException(nameof(NodeOptions.OtlpProtocol), typeof(NodeOptions), [$"--otlp-protocol must be grpc or http/protobuf, got '{other}'"]),
        };
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("logcluster-node", serviceInstanceId: options.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(NodeMetrics.MeterName);
                if (options.MetricsListen is not null)
                {
                    // No response cache: a scrape right after an event sees it (the exporter caches 300 ms by default).
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }
                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(o => Configure(o, otlp, protocol, "v1/metrics"));
                }
            });
        // Spans only when something receives them: a tracer provider listens to its sources even without an
        // exporter, and every batch and follower fetch would then build a span for nothing.
        if (otlp is not null)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(NodeTracing.SourceName).AddOtlpExporter(o => Configure(o, otlp, protocol, "v1/traces")));
        }
    }

    /// <summary>Over HTTP each signal has its own path under the base endpoint (the OTLP specification's rule for OTEL_EXPORTER_OTLP_ENDPOINT).</summary>
    private static void Configure(OtlpExporterOptions exporter, Uri endpoint, OtlpExportProtocol protocol, string signalPath)
    {
        exporter.Protocol = protocol;
        // Appended, not resolved against the endpoint: http://gateway:4318/otlp keeps its /otlp.
        exporter.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath) : endpoint;
    }
}
