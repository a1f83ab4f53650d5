using System;
using System.Diagnostics;
using OpenTelemetry;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Creates <see cref="ContextEnvelope{T}"/>s: an item plus the context of the code that enqueued it.
    /// <code>
    /// await channel.Writer.WriteAsync(ContextEnvelope.Create(order), ct);          // producer
    /// await foreach (var envelope in channel.Reader.ReadAllAsync(ct))               // consumer
    /// {
    ///     using var scope = envelope.Open(Source, "process-order");
    ///     await ProcessAsync(envelope.Item, ct);
    /// }
    /// </code>
    /// </summary>
    public static class ContextEnvelope
    {
        /// <summary>Wraps <paramref name="item"/> with the current activity's context and the current baggage.</summary>
        /// <typeparam name="T">The item type.</typeparam>
        /// <param name="item">The item.</param>
        /// <returns>The envelope.</returns>
        public static ContextEnvelope<T> Create<T>(T item)
            => new ContextEnvelope<T>(item, Activity.Current?.Context ?? default, Baggage.Current);
    }

    /// <summary>An item and the context captured when it was enqueued; <see cref="Open"/> restores it where the item is processed.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    public readonly struct ContextEnvelope<T>
    {
        /// <summary>Initializes a new instance of the <see cref="ContextEnvelope{T}"/> struct.</summary>
        /// <param name="item">The item.</param>
        /// <param name="context">The producer's span context (<see langword="default"/>: none).</param>
        /// <param name="baggage">The producer's baggage.</param>
        public ContextEnvelope(T item, ActivityContext context, Baggage baggage)
        {
            Item = item;
            Context = context;
            Baggage = baggage;
        }

        /// <summary>Gets the item.</summary>
        public T Item { get; }

        /// <summary>Gets the producer's span context, <see langword="default"/> when it had none.</summary>
        public ActivityContext Context { get; }

        /// <summary>Gets the producer's baggage.</summary>
        public Baggage Baggage { get; }

        /// <summary>
        /// Makes the producer's baggage current (in a holder of its own) and starts an activity for processing the item:
        /// a child of the producer's span, or, with <paramref name="link"/>, a new root linked to it (for batches and
        /// long-lived consumers). Disposing the scope stops the activity and restores the consumer's previous context.
        /// </summary>
        /// <param name="source">The source of the processing activity.</param>
        /// <param name="activityName">The processing activity's name.</param>
        /// <param name="kind">The processing activity's kind.</param>
        /// <param name="link">Link to the producer's span instead of parenting on it.</param>
        /// <returns>The scope to dispose when the item is processed.</returns>
        public ContextEnvelopeScope Open(ActivitySource source, string activityName, ActivityKind kind = ActivityKind.Consumer, bool link = false)
        {
            if (source is null)
            {
                throw new ArgumentNullException(nameof(source));
            }

            if (activityName is null)
            {
                throw new ArgumentNullException(nameof(activityName));
            }

            // Activity.Current = null first: StartActivity(parentContext: default) means "use Activity.Current", not "root".
            var saved = AmbientContext.Enter(null, Baggage);
            Activity? activity;
            try
            {
                if (link && Context != default)
                {
                    activity = source.StartActivity(activityName, kind, parentContext: default, tags: null, links: new[] { new ActivityLink(Context) });
                }
                else
                {
                    activity = source.StartActivity(activityName, kind, Context);
                }
            }
            catch
            {
                saved.Restore();
                throw;
            }

            return new ContextEnvelopeScope(activity, saved);
        }
    }

    /// <summary>The processing scope of one <see cref="ContextEnvelope{T}"/>; dispose it when the item is processed.</summary>
    public sealed class ContextEnvelopeScope : IDisposable
    {
        private readonly AmbientContext saved;
        private bool disposed;

        internal ContextEnvelopeScope(Activity? activity, AmbientContext saved)
        {
            Activity = activity;
            this.saved = saved;
        }

        /// <summary>Gets the processing activity, <see langword="null"/> when nobody listens to its source.</summary>
        public Activity? Activity { get; }

        /// <summary>Stops the processing activity and restores the context that was current before <see cref="ContextEnvelope{T}.Open"/>.</summary>
        public void Dispose()
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            Activity?.Dispose();
            saved.Restore();
        }
    }
}
