using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// Records the events of the <c>ContextAnalyzers-Runtime</c> event source written by the flow that created the recorder
/// (and the flows it starts): an EventListener is called synchronously on the writing thread, so an AsyncLocal marker
/// tells this test's events from those of tests running beside it.
/// </summary>
internal sealed class RuntimeEvents : EventListener
{
    private static readonly AsyncLocal<RuntimeEvents?> Owner = new();
    private readonly ConcurrentQueue<EventWrittenEventArgs> events = new();
    private readonly Func<EventWrittenEventArgs, bool>? anyFlow;

    /// <summary>Records the events of this flow, and, with <paramref name="anyFlow"/>, those of any flow it accepts.</summary>
    public RuntimeEvents(Func<EventWrittenEventArgs, bool>? anyFlow = null)
    {
        this.anyFlow = anyFlow;
        Owner.Value = this;
        foreach (var source in EventSource.GetSources())
        {
            OnEventSourceCreated(source);
        }
    }

    public IReadOnlyList<EventWrittenEventArgs> Events => events.ToArray();

    public IReadOnlyList<EventWrittenEventArgs> Named(string name) => events.Where(e => e.EventName == name).ToArray();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "ContextAnalyzers-Runtime")
        {
            EnableEvents(eventSource, EventLevel.Verbose);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (ReferenceEquals(Owner.Value, this) || (anyFlow is not null && anyFlow(eventData)))
        {
            events.Enqueue(eventData);
        }
    }
}
