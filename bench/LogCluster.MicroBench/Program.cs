using BenchmarkDotNet.Running;
using LogCluster.MicroBench;

BenchmarkSwitcher.FromAssembly(typeof(AppendPathBenchmarks).Assembly).Run(args);
