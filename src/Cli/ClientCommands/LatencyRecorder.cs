using System.Diagnostics;
using HdrHistogram;

namespace LogCluster.Cli.ClientCommands;

/// <summary>
/// Send-to-acknowledgement latencies in microseconds, in an HdrHistogram: percentiles to 3 significant digits
/// at a fixed cost per record, whatever the count. Records come from the producer's completion thread while a
/// progress reporter reads windows, so they go through a <see cref="Recorder"/>, whose interval histograms are
/// read without stopping the writers.
/// </summary>
internal sealed class LatencyRecorder
{
    /// <summary>Beyond delivery.timeout.ms's default (2 min), so no real latency is clipped.</summary>
    private static readonly long _highestMicroseconds = (long)TimeSpan.FromMinutes(10).TotalMicroseconds;

    private readonly Recorder _recorder = new(1, _highestMicroseconds, 3, (id, lowest, highest, digits) => new LongConcurrentHistogram(id, lowest, highest, digits));
    private readonly LongHistogram _total = new(1, _highestMicroseconds, 3);
    private readonly Lock _reading = new();

    /// <summary>Records the time since <paramref name="startedTimestamp"/> (a <see cref="Stopwatch"/> timestamp). Thread-safe.</summary>
    public void Record(long startedTimestamp)
    {
        var microseconds = (long)Stopwatch.GetElapsedTime(startedTimestamp).TotalMicroseconds;
        _recorder.RecordValue(Math.Clamp(microseconds, 1, _highestMicroseconds));
    }

    /// <summary>What was recorded since the previous call (a progress window), added to <see cref="Total"/> too.</summary>
    public LatencyStats TakeInterval()
    {
        lock (_reading)
        {
            var interval = _recorder.GetIntervalHistogram();
            _total.Add(interval);
            return LatencyStats.Of(interval);
        }
    }

    /// <summary>Everything recorded up to now.</summary>
    public LatencyStats Total()
    {
        lock (_reading)
        {
            _total.Add(_recorder.GetIntervalHistogram());
            return LatencyStats.Of(_total);
        }
    }
}

/// <summary>A latency summary in milliseconds.</summary>
internal sealed record LatencyStats(long Count, double AverageMs, double MaxMs, double P50Ms, double P95Ms, double P99Ms, double P999Ms)
{
    public static LatencyStats Of(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return new LatencyStats(0, 0, 0, 0, 0, 0, 0);
        }
        double Ms(double microseconds) => microseconds / 1000.0;
        return new LatencyStats(
            histogram.TotalCount,
            Ms(histogram.GetMean()),
            Ms(histogram.GetMaxValue()),
            Ms(histogram.GetValueAtPercentile(50)),
            Ms(histogram.GetValueAtPercentile(95)),
            Ms(histogram.GetValueAtPercentile(99)),
            Ms(histogram.GetValueAtPercentile(99.9)));
    }
}
