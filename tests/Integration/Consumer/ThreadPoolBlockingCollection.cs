namespace LogCluster.Tests.Integration.Consumer;

/// <summary>
/// Tests that keep the process's thread pool blocked on purpose run alone, after the parallel ones: the pool is
/// shared by every test in the process, so another test running meanwhile would stall on it (and fail on its own
/// timeouts), and its work would be measured along with the SDK's.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadPoolBlockingCollection
{
    public const string Name = "thread-pool-blocking";
}
