using System;
using System.Diagnostics.Tracing;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Self-diagnostics of the runtime helpers (<c>ContextAnalyzers-Runtime</c>), in the manner of OpenTelemetry .NET's own
    /// event sources: what the helpers would otherwise swallow (a carrier that could not be read, detached work that
    /// threw, a scope disposed out of order) and every strict-mode finding. Listen with dotnet-trace, dotnet-monitor or an
    /// <see cref="EventListener"/>. Values carried by the context (baggage values) are never written.
    /// </summary>
    [EventSource(Name = EventSourceName)]
    internal sealed class RuntimeEventSource : EventSource
    {
        /// <summary>The event source's name.</summary>
        public const string EventSourceName = "ContextAnalyzers-Runtime";

        public static readonly RuntimeEventSource Log = new RuntimeEventSource();

        private RuntimeEventSource()
        {
        }

        [NonEvent]
        public void ExtractFailed(Type propagator, Exception exception)
        {
            if (IsEnabled(EventLevel.Warning, EventKeywords.All))
            {
                ExtractFailed(propagator.FullName ?? propagator.Name, exception.GetType().FullName ?? exception.GetType().Name, exception.Message);
            }
        }

        [Event(1, Level = EventLevel.Warning, Message = "Extracting a context with {0} threw {1} ({2}); the message is processed without a parent and without baggage.")]
        public void ExtractFailed(string propagator, string exceptionType, string message)
        {
            WriteEvent(1, propagator, exceptionType, message);
        }

        [NonEvent]
        public void DetachedWorkFailed(string activityName, Exception exception)
        {
            if (IsEnabled(EventLevel.Error, EventKeywords.All))
            {
                DetachedWorkFailed(activityName, exception.GetType().FullName ?? exception.GetType().Name, exception.ToString());
            }
        }

        [Event(2, Level = EventLevel.Error, Message = "Detached work '{0}' threw {1}: {2}")]
        public void DetachedWorkFailed(string activityName, string exceptionType, string exception)
        {
            WriteEvent(2, activityName, exceptionType, exception);
        }

        [Event(3, Level = EventLevel.Warning, Message = "A ContextScope ({0}) was disposed while the value it installed was no longer current: a scope opened later is still open, or code inside the scope changed the context without restoring it. The value the scope replaced was restored.")]
        public void ScopeMismatch(string kind)
        {
            if (IsEnabled(EventLevel.Warning, EventKeywords.All))
            {
                WriteEvent(3, kind);
            }
        }

        [Event(4, Level = EventLevel.Warning, Message = "OpenTelemetry's baggage slot does not behave as this version of ContextAnalyzers.Runtime expects ({0}); baggage scopes fall back to the public Baggage API and no longer isolate a flow's baggage from its parent and siblings.")]
        public void BaggageSlotFallback(string reason)
        {
            if (IsEnabled(EventLevel.Warning, EventKeywords.All))
            {
                WriteEvent(4, reason);
            }
        }

        [Event(5, Level = EventLevel.Warning, Message = "{0} ({1}): {2} See {3}")]
        public void StrictFinding(string ruleId, string kind, string message, string helpLink, string where)
        {
            if (IsEnabled(EventLevel.Warning, EventKeywords.All))
            {
                WriteEvent(5, ruleId, kind, message, helpLink, where);
            }
        }
    }
}
