namespace LogCluster.LogNode.Metadata.Quorum;

/// <summary>
/// The logger factory handed to the Raft library: the node's own, with a floor. DotNext's TCP transport logs a
/// warning with a stack trace for every refused connection to a stopped peer, which would bury the node's log
/// while a voter is down, so the library logs Error and above unless configured otherwise.
/// </summary>
internal sealed class LibraryLoggerFactory(ILoggerFactory inner, LogLevel minimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new FloorLogger(inner.CreateLogger(categoryName), minimum);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>The inner factory belongs to the host; nothing to release here.</summary>
    public void Dispose()
    {
    }

    private sealed class FloorLogger(ILogger inner, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
