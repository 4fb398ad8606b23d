using System.CommandLine;
using LogCluster.Cli.ClientCommands;
using LogCluster.Cli.ClientCommands.Perf;
using LogCluster.Cli.ClientCommands.Topics;
using LogCluster.Cli.ClusterCommands;
using LogCluster.Cli.Demo;

#pragma warning disable RS0030 // The entry point hands the console to the commands; nothing else may touch it.
var (input, output, errors) = (Console.In, Console.Out, Console.Error);
#pragma warning restore RS0030

var root = new RootCommand("logcluster: run and use a LogCluster")
{
    ClusterCommand.Create(output),
    TopicsCommand.Create(output, errors),
    ProduceCommand.Create(input, errors),
    ConsumeCommand.Create(output, errors),
    PerfCommand.Create(output, errors),
    DemoCommand.Create(output),
};
return await root.Parse(args).InvokeAsync();
