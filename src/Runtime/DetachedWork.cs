using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Background work that outlives its caller, done right: it runs as a <b>new root activity linked to the caller's
    /// span</b> (not as a child of a span that has ended), with a <b>copy</b> of the caller's baggage in a holder of its
    /// own, its exceptions observed and reported (never an unobserved task exception), and cancellation honoured.
    /// <code>
    /// DetachedWork.Run(Source, "send-receipt", ct => mailer.SendAsync(order, ct));
    /// </code>
    /// </summary>
    /// <remarks>
    /// The work never sees the caller's <see cref="Activity.Current"/>: the <see cref="ExecutionContext"/> does not flow
    /// into it. Inside, <see cref="Activity.Current"/> is the new root activity (or <see langword="null"/> when nobody
    /// listens to the source), and <see cref="Baggage.Current"/> is what the caller had when it called
    /// <c>Run</c>. The returned task completes when the work ends and never faults or cancels, so discarding it is safe.
    /// </remarks>
    public static class DetachedWork
    {
        /// <summary>
        /// Raised, on the worker's thread, when detached work throws (cancellation through its own token excepted).
        /// The exception is also recorded on the work's activity. Handlers must not throw.
        /// </summary>
        public static event EventHandler<DetachedWorkFailedEventArgs>? Failed;

        /// <summary>Runs asynchronous <paramref name="work"/> after the caller returns, detached from its context.</summary>
        /// <param name="source">The source of the work's root activity.</param>
        /// <param name="activityName">The name of the work's root activity.</param>
        /// <param name="work">The work; it receives <paramref name="cancellationToken"/>.</param>
        /// <param name="cancellationToken">Cancels the work; when already cancelled the work does not start.</param>
        /// <returns>A task that completes when the work ends; it never faults.</returns>
        public static Task Run(ActivitySource source, string activityName, Func<CancellationToken, Task> work, CancellationToken cancellationToken = default)
        {
            if (source is null)
            {
                throw new ArgumentNullException(nameof(source));
            }

            if (activityName is null)
            {
                throw new ArgumentNullException(nameof(activityName));
            }

            if (work is null)
            {
                throw new ArgumentNullException(nameof(work));
            }

            var caller = Activity.Current;
            var callerContext = caller?.Context ?? default;
            var baggage = Baggage.Current;

            // The worker must not inherit the caller's ExecutionContext (its Activity.Current would be the caller's span,
            // soon stopped, and its baggage holder the caller's shared one).
            Task<Task> started;
            using (ExecutionContext.SuppressFlow())
            {
                started = Task.Factory.StartNew(
                    () => RunDetachedAsync(source, activityName, callerContext, baggage, work, cancellationToken),
                    CancellationToken.None,
                    TaskCreationOptions.DenyChildAttach,
                    TaskScheduler.Default);
            }

            return started.Unwrap();
        }

        /// <summary>Runs synchronous <paramref name="work"/> after the caller returns, detached from its context.</summary>
        /// <param name="source">The source of the work's root activity.</param>
        /// <param name="activityName">The name of the work's root activity.</param>
        /// <param name="work">The work; it receives <paramref name="cancellationToken"/>.</param>
        /// <param name="cancellationToken">Cancels the work; when already cancelled the work does not start.</param>
        /// <returns>A task that completes when the work ends; it never faults.</returns>
        public static Task Run(ActivitySource source, string activityName, Action<CancellationToken> work, CancellationToken cancellationToken = default)
        {
            if (work is null)
            {
                throw new ArgumentNullException(nameof(work));
            }

            return Run(
                source,
                activityName,
                ct =>
                {
                    work(ct);
                    return Task.CompletedTask;
                },
                cancellationToken);
        }

        private static async Task RunDetachedAsync(
            ActivitySource source,
            string activityName,
            ActivityContext callerContext,
            Baggage baggage,
            Func<CancellationToken, Task> work,
            CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // Flow is suppressed, so this runs in the default context: make that explicit, then install the copy.
            Activity.Current = null;
            AmbientContext.UseIsolatedBaggage(baggage, RuntimeContext.GetValue(ContextScope.BaggageSlotName));

            var links = callerContext == default ? null : new[] { new ActivityLink(callerContext) };
            using var activity = source.StartActivity(activityName, ActivityKind.Internal, parentContext: default, tags: null, links: links);
            try
            {
                await work(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                activity?.AddEvent(new ActivityEvent("cancelled"));
            }
            catch (Exception exception)
            {
                if (activity is not null)
                {
                    activity.SetStatus(ActivityStatusCode.Error, exception.Message);
                    activity.AddEvent(new ActivityEvent(
                        "exception",
                        tags: new ActivityTagsCollection(new[]
                        {
                            new KeyValuePair<string, object?>("exception.type", exception.GetType().FullName),
                            new KeyValuePair<string, object?>("exception.message", exception.Message),
                            new KeyValuePair<string, object?>("exception.stacktrace", exception.ToString()),
                        })));
                }

                Report(activityName, exception);
            }
        }

        private static void Report(string activityName, Exception exception)
        {
            var handler = Failed;
            if (handler is null)
            {
                return;
            }

            try
            {
                handler(null, new DetachedWorkFailedEventArgs(activityName, exception));
            }
            catch (Exception)
            {
                // A failing handler must not turn observed work into an unobserved task exception.
            }
        }
    }

    /// <summary>Describes detached work that threw.</summary>
    public sealed class DetachedWorkFailedEventArgs : EventArgs
    {
        /// <summary>Initializes a new instance of the <see cref="DetachedWorkFailedEventArgs"/> class.</summary>
        /// <param name="activityName">The name of the work's activity.</param>
        /// <param name="exception">What the work threw.</param>
        public DetachedWorkFailedEventArgs(string activityName, Exception exception)
        {
            ActivityName = activityName;
            Exception = exception;
        }

        /// <summary>Gets the name of the work's activity.</summary>
        public string ActivityName { get; }

        /// <summary>Gets what the work threw.</summary>
        public Exception Exception { get; }
    }
}
