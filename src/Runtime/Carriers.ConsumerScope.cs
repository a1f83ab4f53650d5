using System;
using System.Collections.Generic;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Everything a message consumer must do with the headers of one message, as one disposable: extract the remote
    /// context, make its baggage current in an isolated scope, and start the consumer activity with the remote parent.
    /// <code>
    /// using var consumed = ConsumerScope.Start(Source, "orders process", Propagators.DefaultTextMapPropagator, message.Headers);
    /// consumed.Activity?.SetTag("messaging.message.id", message.Id);
    /// </code>
    /// </summary>
    /// <remarks>
    /// <para>
    /// Headers that are absent, malformed or oversized never throw (see <see cref="Carriers"/>): the message then
    /// starts a new trace (a true root, not a child of whatever activity the polling loop has current) with empty
    /// baggage. Baggage and parent come from the same extraction, so a message never runs with half a context.
    /// </para>
    /// <para>
    /// Disposing stops the activity, then restores the previous <see cref="Activity.Current"/> and
    /// <see cref="Baggage.Current"/> exactly (built on <see cref="ContextScope"/>: the caller's baggage holder is never
    /// written). Dispose it once, on the flow that started it.
    /// </para>
    /// </remarks>
    public readonly struct ConsumerScope : IDisposable
    {
        private readonly ContextScope baggage;
        private readonly ContextScope cleared;

        private ConsumerScope(PropagationContext context, Activity? activity, ContextScope baggage, ContextScope cleared)
        {
            Context = context;
            Activity = activity;
            this.baggage = baggage;
            this.cleared = cleared;
        }

        /// <summary>Gets the extracted context (<see langword="default"/> when the headers held none).</summary>
        public PropagationContext Context { get; }

        /// <summary>Gets the consumer activity, or <see langword="null"/> when no listener sampled it.</summary>
        public Activity? Activity { get; }

        /// <summary>Starts processing a message whose headers are string pairs (a dictionary, a header collection).</summary>
        /// <param name="source">The activity source.</param>
        /// <param name="name">The activity name, e.g. <c>"orders process"</c>.</param>
        /// <param name="propagator">The propagator, usually <c>Propagators.DefaultTextMapPropagator</c> read at call time.</param>
        /// <param name="headers">The message headers; <see langword="null"/> reads as empty.</param>
        /// <param name="kind">The activity kind.</param>
        /// <param name="tags">Initial tags, or <see langword="null"/>.</param>
        /// <returns>The scope to dispose when the message is handled.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="source"/>, <paramref name="name"/> or <paramref name="propagator"/> is <see langword="null"/>.</exception>
        public static ConsumerScope Start(ActivitySource source, string name, TextMapPropagator propagator, IEnumerable<KeyValuePair<string, string>>? headers, ActivityKind kind = ActivityKind.Consumer, IEnumerable<KeyValuePair<string, object?>>? tags = null)
        {
            Check(source, name);
            return Start(source, name, propagator.Extract(headers), kind, tags);
        }

        /// <summary>Starts processing a message whose headers are a broker header list of UTF-8 values.</summary>
        /// <param name="source">The activity source.</param>
        /// <param name="name">The activity name, e.g. <c>"orders process"</c>.</param>
        /// <param name="propagator">The propagator, usually <c>Propagators.DefaultTextMapPropagator</c> read at call time.</param>
        /// <param name="headers">The message headers; <see langword="null"/> reads as empty.</param>
        /// <param name="kind">The activity kind.</param>
        /// <param name="tags">Initial tags, or <see langword="null"/>.</param>
        /// <returns>The scope to dispose when the message is handled.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="source"/>, <paramref name="name"/> or <paramref name="propagator"/> is <see langword="null"/>.</exception>
        public static ConsumerScope Start(ActivitySource source, string name, TextMapPropagator propagator, IEnumerable<(string Key, byte[] Value)>? headers, ActivityKind kind = ActivityKind.Consumer, IEnumerable<KeyValuePair<string, object?>>? tags = null)
        {
            Check(source, name);
            return Start(source, name, propagator.Extract(headers), kind, tags);
        }

        /// <summary>Starts processing a message whose carrier is read by <paramref name="getter"/>.</summary>
        /// <typeparam name="T">The carrier type.</typeparam>
        /// <param name="source">The activity source.</param>
        /// <param name="name">The activity name, e.g. <c>"orders process"</c>.</param>
        /// <param name="propagator">The propagator, usually <c>Propagators.DefaultTextMapPropagator</c> read at call time.</param>
        /// <param name="carrier">The carrier; <see langword="null"/> reads as empty.</param>
        /// <param name="getter">Returns the values of one header (or <see langword="null"/>).</param>
        /// <param name="kind">The activity kind.</param>
        /// <param name="tags">Initial tags, or <see langword="null"/>.</param>
        /// <returns>The scope to dispose when the message is handled.</returns>
        /// <exception cref="ArgumentNullException">An argument other than <paramref name="carrier"/> or <paramref name="tags"/> is <see langword="null"/>.</exception>
        public static ConsumerScope Start<T>(ActivitySource source, string name, TextMapPropagator propagator, T? carrier, Func<T, string, IEnumerable<string>?> getter, ActivityKind kind = ActivityKind.Consumer, IEnumerable<KeyValuePair<string, object?>>? tags = null)
        {
            Check(source, name);
            if (getter is null)
            {
                throw new ArgumentNullException(nameof(getter));
            }

            return Start(source, name, Carriers.SafeExtract(propagator, carrier, getter), kind, tags);
        }

        /// <summary>Stops the consumer activity, then restores the previous activity and baggage. Harmless on <see langword="default"/>.</summary>
        public void Dispose()
        {
            // Each step runs even if an earlier one throws (an activity listener's callback may).
            try
            {
                Activity?.Dispose();
            }
            finally
            {
                try
                {
                    cleared.Dispose();
                }
                finally
                {
                    baggage.Dispose();
                }
            }
        }

        private static ConsumerScope Start(ActivitySource source, string name, PropagationContext context, ActivityKind kind, IEnumerable<KeyValuePair<string, object?>>? tags)
        {
            var baggage = ContextScope.Attach(context);
            var cleared = default(ContextScope);
            try
            {
                Activity? activity;
                if (context.ActivityContext.IsValid())
                {
                    activity = source.StartActivity(name, kind, context.ActivityContext, tags);
                }
                else
                {
                    // No remote parent: a new trace, not a child of the polling loop's activity.
                    cleared = ContextScope.ClearActivity();
                    activity = source.StartActivity(name, kind, default(ActivityContext), tags);
                }

                return new ConsumerScope(context, activity, baggage, cleared);
            }
            catch
            {
                cleared.Dispose();
                baggage.Dispose();
                throw;
            }
        }

        private static void Check(ActivitySource source, string name)
        {
            if (source is null)
            {
                throw new ArgumentNullException(nameof(source));
            }

            if (name is null)
            {
                throw new ArgumentNullException(nameof(name));
            }
        }
    }
}
