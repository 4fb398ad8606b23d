using System.CommandLine;
using LogCluster.Bench;
using LogCluster.Tests.Integration.Cluster;

// Started by CompareCommand as the baseline process, with the launcher's --listen/--data-dir arguments.
if (args.Contains("--ack-only-server"))
{
    return await AckOnlyServer.RunAsync(args[Array.IndexOf(args, "--listen") + 1]);
}

var repeats = new Option<int>("--repeats") { Description = "Rounds of baseline + LogNode runs; medians are over these", DefaultValueFactory = _ => 3 };
var warmup = new Option<int>("--warmup-seconds") { DefaultValueFactory = _ => 1 };
var measure = new Option<int>("--seconds") { Description = "Measured seconds per scenario run", DefaultValueFactory = _ => 4 };
var filter = new Option<string>("--filter") { Description = "Run only scenarios whose name contains this text (their comparison scenarios run too)", DefaultValueFactory = _ => "" };
var compare = new Command("compare", "Every scenario against the ack-only gRPC baseline and a LogNode, in one run") { repeats, warmup, measure, filter };
compare.SetAction(parse => CompareCommand.RunAsync(parse.GetValue(repeats), TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(measure)), parse.GetValue(filter)!));
var producer = new Command("producer", "The producer SDK against a LogNode, with same-run raw-wire baselines against the ack-only server") { repeats, warmup, measure };
producer.SetAction(parse => ProducerCommand.RunAsync(parse.GetValue(repeats), TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(measure))));
var replication = new Command("replication", "The producer SDK against a local 3-node cluster: RF=1/3 with acks=1/all, same run") { repeats, warmup, measure };
replication.SetAction(parse => ReplicationCommand.RunAsync(parse.GetValue(repeats), TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(measure))));
var records = new Option<int>("--records") { Description = "Records in the topic the consumer reads", DefaultValueFactory = _ => 2_000_000 };
var consumer = new Command("consumer", "The consumer SDK reading from the beginning, against a bare Fetch loop in the same run") { repeats, records };
consumer.SetAction(parse => ConsumerCommand.RunAsync(parse.GetValue(repeats), parse.GetValue(records)));
var rounds = new Option<int>("--rounds") { Description = "Failovers measured; the table quotes medians", DefaultValueFactory = _ => 10 };
var fault = new Option<LeaderFault>("--fault") { Description = "Kill (SIGKILL of a leader that is not the controller), KillController, or Freeze (SIGSTOP)", DefaultValueFactory = _ => LeaderFault.Kill };
var grace = new Option<int?>("--dead-node-grace-ms") { Description = "The nodes' setting (default: theirs); above the session timeout only the session timeout fences" };
var failover = new Command("failover", "Leader failover on a local 3-node cluster, step by step from the nodes' logs and metadata") { rounds, fault, grace };
failover.SetAction(parse => FailoverCommand.RunAsync(parse.GetValue(rounds), parse.GetValue(fault), parse.GetValue(grace)));
var confluent = new Command("confluent", "Our producer SDK against Confluent.Kafka's into the same 3-node cluster (RF=3, acks=all, idempotent), same run") { repeats, warmup, measure };
confluent.SetAction(parse => ConfluentPeerCommand.RunAsync(parse.GetValue(repeats), TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(measure))));
return await new RootCommand("LogCluster benchmarks") { compare, producer, replication, consumer, failover, confluent }.Parse(args).InvokeAsync();
