using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;

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
    /// An exception thrown by the work (cancellation through its own token excepted) is recorded on the work's activity
    /// (status <c>Error</c> and an <c>exception</c> event), written to the <c>ContextAnalyzers-Runtime</c> event source
    /// (event 2, <c>DetachedWorkFailed</c>), and passed to <see cref="DetachedWorkOptions.OnFailed"/> when given.
    /// Running inside <c>ExecutionContext.SuppressFlow()</c> is fine: the flow is not suppressed a second time (which
    /// throws on .NET Framework and on .NET before 8).
    /// </remarks>
    public static class DetachedWork
    {
        /// <summary>Runs asynchronous <paramref name="work"/> after the caller returns, detached from its context.</summary>
        /// <param name="source">The source of the work's root activity.</param>
        /// <param name="activityName">The name of the work's root activity.</param>
        /// <param name="work">The work; it receives <paramref name="cancellationToken"/>.</param>
        /// <param name="cancellationToken">Cancels the work; when already cancelled the work does not start.</param>
        /// <returns>A task that completes when the work ends; it never faults.</returns>
        public static Task Run(ActivitySource source, string activityName, Func<CancellationToken, Task> work, CancellationToken cancellationToken = default)
            => Run(source, activityName, work, null, cancellationToken);

        /// <summary>Runs asynchronous <paramref name="work"/> after the caller returns, detached from its context.</summary>
        /// <param name="source">The source of the work's root activity.</param>
        /// <param name="activityName">The name of the work's root activity.</param>
        /// <param name="work">The work; it receives <paramref name="cancellationToken"/>.</param>
        /// <param name="options">What to do when the work fails; <see langword="null"/>: record and report it only.</param>
        /// <param name="cancellationToken">Cancels the work; when already cancelled the work does not start.</param>
        /// <returns>A task that completes when the work ends; it never faults.</returns>
        public static Task Run(ActivitySource source, string activityName, Func<CancellationToken, Task> work, DetachedWorkOptions? options, CancellationToken cancellationToken = default)
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
            // A nested SuppressFlow() throws on .NET Framework and on .NET before 8 (a no-op from .NET 8 on), and the caller
            // may already have suppressed the flow.
            using (ExecutionContext.IsFlowSuppressed() ? default(AsyncFlowControl?) : ExecutionContext.SuppressFlow())
            {
                started = Task.Factory.StartNew(
                    () => RunDetachedAsync(source, activityName, callerContext, baggage, work, options?.OnFailed, cancellationToken),
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
            => Run(source, activityName, work, null, cancellationToken);

        /// <summary>Runs synchronous <paramref name="work"/> after the caller returns, detached from its context.</summary>
        /// <param name="source">The source of the work's root activity.</param>
        /// <param name="activityName">The name of the work's root activity.</param>
        /// <param name="work">The work; it receives <paramref name="cancellationToken"/>.</param>
        /// <param name="options">What to do when the work fails; <see langword="null"/>: record and report it only.</param>
        /// <param name="cancellationToken">Cancels the work; when already cancelled the work does not start.</param>
        /// <returns>A task that completes when the work ends; it never faults.</returns>
        public static Task Run(ActivitySource source, string activityName, Action<CancellationToken> work, DetachedWorkOptions? options, CancellationToken cancellationToken = default)
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
                options,
                cancellationToken);
        }

        private static async Task RunDetachedAsync(
            ActivitySource source,
            string activityName,
            ActivityContext callerContext,
            Baggage baggage,
            Func<CancellationToken, Task> work,
            Action<DetachedWorkFailedEventArgs>? onFailed,
            CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // Flow is suppressed, so this runs in the default context: make that explicit, then install the copy.
            Activity.Current = null;
            AmbientContext.UseIsolatedBaggage(baggage);

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

                Report(activityName, exception, onFailed);
            }
        }

        private static void Report(string activityName, Exception exception, Action<DetachedWorkFailedEventArgs>? onFailed)
        {
            RuntimeEventSource.Log.DetachedWorkFailed(activityName, exception);
            if (onFailed is null)
            {
                return;
            }

            try
            {
                onFailed(new DetachedWorkFailedEventArgs(activityName, exception));
            }
            catch (Exception)
            {
                // A failing handler must not turn observed work into an unobserved task exception.
            }
        }
    }

    /// <summary>Options of one <see cref="DetachedWork"/> run.</summary>
    public sealed class DetachedWorkOptions
    {
        /// <summary>
        /// Gets or sets what to call, on the worker's thread, when the work throws (cancellation through its own token
        /// excepted). An exception thrown by the callback is ignored.
        /// </summary>
        public Action<DetachedWorkFailedEventArgs>? OnFailed { get; set; }
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
