using System.CommandLine;
using LogCluster.Cli.ClusterCommands;
using LogCluster.Cli.Demo;

var root = new RootCommand("logcluster: run and use a LogCluster")
{
    ClusterCommand.Create(),
    DemoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
