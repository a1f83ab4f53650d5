using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Starts an activity that is a true root: a new trace, whatever <see cref="Activity.Current"/> is. Passing
    /// <c>parentContext: default</c> to <c>StartActivity</c> does not do that: a default context means "parent on
    /// Activity.Current". Use it with <c>using</c>:
    /// <code>
    /// using var root = RootActivityScope.Start(Source, "nightly-export");
    /// root.Activity?.SetTag("batch", id);
    /// </code>
    /// </summary>
    /// <remarks>
    /// <see cref="Activity.Current"/> is cleared for the start (with <see cref="ContextScope.ClearActivity"/>), the root is
    /// current while the scope is open, and disposing stops the root and makes the previous activity current again.
    /// A root stopped on its own would instead leave <see cref="Activity.Current"/> empty: <c>Activity.Stop</c> restores
    /// the activity that was current when it started, which for a root is none. The previous context can be kept
    /// as a link, so the new trace still points at the one it came from.
    /// </remarks>
    public readonly struct RootActivityScope : IDisposable
    {
        private readonly ContextScope cleared;

        private RootActivityScope(Activity? activity, ContextScope cleared)
        {
            Activity = activity;
            this.cleared = cleared;
        }

        /// <summary>Gets the root activity, or <see langword="null"/> when no listener sampled it.</summary>
        public Activity? Activity { get; }

        /// <summary>Starts <paramref name="name"/> as the root of a new trace.</summary>
        /// <param name="source">The activity source.</param>
        /// <param name="name">The operation name.</param>
        /// <param name="kind">The activity kind.</param>
        /// <param name="linkToPrevious">When <see langword="true"/> and an activity was current, the root gets a link to it.</param>
        /// <param name="tags">Initial tags, or <see langword="null"/>.</param>
        /// <param name="links">Links, or <see langword="null"/>.</param>
        /// <param name="startTime">The start time, or <see langword="default"/> for now.</param>
        /// <returns>The scope to dispose; its <see cref="Activity"/> is the root.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
        public static RootActivityScope Start(
            ActivitySource source,
            string name,
            ActivityKind kind = ActivityKind.Internal,
            bool linkToPrevious = true,
            IEnumerable<KeyValuePair<string, object?>>? tags = null,
            IEnumerable<ActivityLink>? links = null,
            DateTimeOffset startTime = default)
        {
            if (source is null)
            {
                throw new ArgumentNullException(nameof(source));
            }

            if (name is null)
            {
                throw new ArgumentNullException(nameof(name));
            }

            var previous = Activity.Current;
            if (linkToPrevious && previous is not null)
            {
                var all = new List<ActivityLink>();
                if (links is not null)
                {
                    all.AddRange(links);
                }

                all.Add(new ActivityLink(previous.Context));
                links = all;
            }

            var cleared = ContextScope.ClearActivity();
            Activity? activity;
            try
            {
                activity = source.StartActivity(name, kind, default(ActivityContext), tags, links, startTime);
            }
            catch
            {
                cleared.Dispose();
                throw;
            }

            return new RootActivityScope(activity, cleared);
        }

        /// <summary>Stops the root and makes the previously current activity current again. Harmless on <see langword="default"/>.</summary>
        public void Dispose()
        {
            Activity?.Dispose();
            cleared.Dispose();
        }
    }
}
