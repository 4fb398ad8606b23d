using System.CommandLine;
using LogCluster.Cli.Demo;

var root = new RootCommand("logcluster: run and use a LogCluster")
{
    DemoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
