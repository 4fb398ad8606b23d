using System.CommandLine;
using LogCluster.Cli.ClientCommands;
using LogCluster.Cli.ClusterCommands;
using LogCluster.Cli.Demo;

var root = new RootCommand("logcluster: run and use a LogCluster")
{
    ClusterCommand.Create(),
#pragma warning disable RS0030 // The entry point hands the console to the commands that print records.
    ConsumeCommand.Create(Console.Out, Console.Error),
#pragma warning restore RS0030
    DemoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
