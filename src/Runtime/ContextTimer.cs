using System;
using System.Diagnostics;
using System.Threading;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Creates <see cref="Timer"/>s that do not capture the creating request's context. A plain
    /// <c>new Timer(...)</c> captures the <see cref="ExecutionContext"/> when it is constructed and replays it on every
    /// tick forever, so every tick joins the trace of whatever request happened to create the timer.
    /// <code>
    /// timer = ContextTimer.Create(Flush, null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), Source, "flush");
    /// </code>
    /// </summary>
    /// <remarks>
    /// Ticks run in the default context: no <see cref="Activity.Current"/> and empty baggage, so whatever the callback
    /// starts is a root. With an <see cref="ActivitySource"/>, each tick runs inside a fresh root activity of its own
    /// (an exception is recorded on it and rethrown, as a timer callback's exception would be).
    /// </remarks>
    public static class ContextTimer
    {
        /// <summary>Creates a started timer whose ticks do not run in the creator's context.</summary>
        /// <param name="callback">The tick callback.</param>
        /// <param name="state">The state passed to <paramref name="callback"/>.</param>
        /// <param name="dueTime">The delay before the first tick (<see cref="Timeout.InfiniteTimeSpan"/>: not started).</param>
        /// <param name="period">The interval between ticks (<see cref="Timeout.InfiniteTimeSpan"/>: one tick).</param>
        /// <param name="source">When set, each tick runs in a new root activity from this source.</param>
        /// <param name="activityName">The name of each tick's activity; defaults to <c>"timer.tick"</c>.</param>
        /// <returns>The timer; dispose it to stop the ticks.</returns>
        public static Timer Create(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period, ActivitySource? source = null, string? activityName = null)
        {
            var tick = Tick(callback, source, activityName);
            using (ExecutionContext.IsFlowSuppressed() ? default(AsyncFlowControl?) : ExecutionContext.SuppressFlow())
            {
                return new Timer(tick, state, dueTime, period);
            }
        }

        /// <summary>Creates a started timer whose ticks do not run in the creator's context.</summary>
        /// <param name="callback">The tick callback.</param>
        /// <param name="state">The state passed to <paramref name="callback"/>.</param>
        /// <param name="dueTime">The delay before the first tick in milliseconds (<see cref="Timeout.Infinite"/>: not started).</param>
        /// <param name="period">The interval between ticks in milliseconds (<see cref="Timeout.Infinite"/>: one tick).</param>
        /// <param name="source">When set, each tick runs in a new root activity from this source.</param>
        /// <param name="activityName">The name of each tick's activity; defaults to <c>"timer.tick"</c>.</param>
        /// <returns>The timer; dispose it to stop the ticks.</returns>
        public static Timer Create(TimerCallback callback, object? state, int dueTime, int period, ActivitySource? source = null, string? activityName = null)
            => Create(callback, state, TimeSpan.FromMilliseconds(dueTime), TimeSpan.FromMilliseconds(period), source, activityName);

        private static TimerCallback Tick(TimerCallback callback, ActivitySource? source, string? activityName)
        {
            if (callback is null)
            {
                throw new ArgumentNullException(nameof(callback));
            }

            if (source is null)
            {
                return callback;
            }

            var name = activityName ?? "timer.tick";
            return state =>
            {
                // The tick runs without the creator's context; make sure the activity is a root even if the timer
                // was created by code that re-enabled flow.
                var previous = Activity.Current;
                Activity.Current = null;
                var activity = source.StartActivity(name, ActivityKind.Internal);
                try
                {
                    callback(state);
                }
                catch (Exception exception) when (Record(activity, exception))
                {
                    throw;
                }
                finally
                {
                    activity?.Dispose();
                    Activity.Current = previous;
                }
            };
        }

        private static bool Record(Activity? activity, Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            return false;
        }
    }
}
