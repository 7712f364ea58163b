// A logger factory that keeps every entry (category, level, event id, message and the structured properties), for
// tests that check what the library logs through EngineOptions.LoggerFactory.
using Microsoft.Extensions.Logging;

namespace GpuSearch.Tests.Api;

/// <summary>One logged entry; <see cref="Properties"/> holds the template's named values ({OriginalFormat} too).</summary>
internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Properties)
{
    public object? this[string name] => Properties.TryGetValue(name, out var v) ? v : null;
}

/// <summary>Captures what every logger it creates is told, from any thread.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly List<LogEntry> _entries = [];

    /// <summary>A snapshot of the entries so far, in the order they were logged.</summary>
    public IReadOnlyList<LogEntry> Entries { get { lock (_entries) return _entries.ToArray(); } }

    /// <summary>The entries with event id <paramref name="id"/>.</summary>
    public IReadOnlyList<LogEntry> WithId(int id) => Entries.Where(e => e.EventId.Id == id).ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("captures only");

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true; // Trace and Debug included: the test sees every event

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var props = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : new Dictionary<string, object?>();
            lock (owner._entries) owner._entries.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), props));
        }
    }
}
