using System.CommandLine;
using LogCluster.Producer;

namespace LogCluster.Cli.ClientCommands;

/// <summary>
/// The producer settings <c>produce</c> and <c>perf produce</c> share, with the SDK's defaults, turned into a
/// <see cref="ProducerConfig"/>.
/// </summary>
internal sealed class ProducerOptions
{
    private static readonly ProducerConfig _defaults = new();

    public Option<string> Acks { get; } = AcksOption();

    public Option<bool> Sync { get; } = new("--sync") { Description = "Await each send before the next (one round trip per record) instead of sending with callbacks" };

    public Option<int> LingerMs { get; } = new("--linger-ms")
    {
        Description = "linger.ms: the longest a record waits for its batch to fill while requests are in flight",
        DefaultValueFactory = _ => (int)_defaults.Linger.TotalMilliseconds,
    };

    public Option<int> BatchSize { get; } = new("--batch-size")
    {
        Description = "batch.size: bytes per partition batch",
        DefaultValueFactory = _ => _defaults.BatchSize,
    };

    private static Option<string> AcksOption()
    {
        var acks = new Option<string>("--acks") { Description = "acks: all (every in-sync replica), 1 (the leader) or 0 (none)", DefaultValueFactory = _ => "all" };
        acks.AcceptOnlyFromAmong("all", "-1", "1", "0");
        return acks;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Acks);
        command.Options.Add(Sync);
        command.Options.Add(LingerMs);
        command.Options.Add(BatchSize);
    }

    public ProducerConfig ToConfig(ParseResult parse, string bootstrapServers, string clientId) => new()
    {
        BootstrapServers = bootstrapServers,
        ClientId = clientId,
        Acks = parse.GetValue(Acks) switch
        {
            "1" => LogCluster.Producer.Acks.Leader,
            "0" => LogCluster.Producer.Acks.None,
            _ => LogCluster.Producer.Acks.All,
        },
        Linger = TimeSpan.FromMilliseconds(parse.GetValue(LingerMs)),
        BatchSize = parse.GetValue(BatchSize),
    };

    /// <summary>Builds the producer; a setting the SDK refuses becomes a <see cref="CommandFailure"/> that names it.</summary>
    public static IProducer<TKey, TValue> Build<TKey, TValue>(ProducerConfig config)
    {
        try
        {
            return new ProducerBuilder<TKey, TValue>(config).Build();
        }
        catch (ArgumentException e)
        {
            throw new CommandFailure(e.Message);
        }
    }
}
