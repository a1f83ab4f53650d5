using System.Diagnostics.Tracing;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Events of the baggage policy (<c>ContextAnalyzers-Baggage</c>): one per entry dropped, redacted or pseudonymised,
    /// with the key, the violation and the action, never the value. Listen with dotnet-trace or an EventListener.
    /// </summary>
    [EventSource(Name = "ContextAnalyzers-Baggage")]
    internal sealed class BaggagePolicyEventSource : EventSource
    {
        public static readonly BaggagePolicyEventSource Log = new BaggagePolicyEventSource();

        private BaggagePolicyEventSource()
        {
        }

        [Event(1, Level = EventLevel.Warning, Message = "Baggage entry '{0}' was not sent as set: {1} ({2}).")]
        public void EntryRejected(string key, string violation, string action)
        {
            if (IsEnabled())
            {
                WriteEvent(1, key, violation, action);
            }
        }

        [Event(2, Level = EventLevel.Error, Message = "The baggage pseudonym key in {0} is not base64 of at least 16 bytes; pseudonyms are redacted.")]
        public void InvalidHashKey(string variable)
        {
            if (IsEnabled())
            {
                WriteEvent(2, variable);
            }
        }
    }
}
