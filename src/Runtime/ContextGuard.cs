using System;
using System.Collections.Generic;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// A boundary at which the ambient context must be as it was: strict mode for the calling flow (and the flows it
    /// starts) until disposed. One line in a test, a test base class or a fixture:
    /// <code>
    /// using var guard = ContextGuard.Begin();
    /// await handler.HandleAsync(request);
    /// // Dispose throws ContextLeakException listing every leak found, each with its rule ID and stack traces.
    /// </code>
    /// </summary>
    /// <remarks>
    /// <para>
    /// On entry the guard records <see cref="Activity.Current"/>, <see cref="Baggage.Current"/> and the
    /// <c>RuntimeContext</c> slots named in <see cref="StrictModeOptions.ContextSlots"/>. While it is open, strict mode
    /// watches the activities started in its flows. On dispose it reports each recorded value that differs (CTX101, or
    /// CTX206 when baggage was changed in place in a holder shared with other flows), with the stack trace of the last
    /// change where one can be observed (OpenTelemetry offers no hook on baggage or slot changes, so for those the report
    /// names the value only); each activity started inside and not stopped (CTX102, with where it started); and the
    /// findings made while it was open (CTX103, CTX204). Then it puts back what it recorded, so one leak does not
    /// cascade into the next test, and throws <see cref="ContextLeakException"/> when it found anything (unless
    /// <see cref="StrictModeOptions.ThrowFromGuard"/> is off).
    /// </para>
    /// <para>
    /// Findings belong to the flow in which they happen: guards in tests running in parallel never see each other's
    /// findings. What happens after the guard is disposed (fire-and-forget work still running) is reported to the
    /// process-wide sinks only if strict mode is on for the process (<see cref="StrictMode.Enable"/>).
    /// Dispose the guard in the flow that began it (a <c>using</c> in the same method, or the Dispose of the test class
    /// whose constructor began it).
    /// </para>
    /// </remarks>
    public sealed class ContextGuard : IDisposable
    {
        private readonly object gate = new object();
        private readonly Activity? entryActivity;
        private readonly object? entryHolder;
        private readonly Baggage entryBaggage;
        private readonly object?[] entrySlots;
        private List<ActivityTrack>? tracks;
        private List<ContextLeakFinding>? findings;
        private volatile bool closed;

        private ContextGuard(StrictSettings settings, ContextGuard? parent)
        {
            Settings = settings;
            Parent = parent;
            entryActivity = Activity.Current;
            entryBaggage = Baggage.Current;
            entryHolder = BaggageSlot.Current.Capture();
            entrySlots = new object?[settings.ContextSlots.Length];
            for (var i = 0; i < entrySlots.Length; i++)
            {
                entrySlots[i] = RuntimeContext.GetValue(settings.ContextSlots[i]);
            }
        }

        /// <summary>Gets every finding so far (all of them once disposed).</summary>
        public IReadOnlyList<ContextLeakFinding> Findings
        {
            get
            {
                lock (gate)
                {
                    return findings is null ? Array.Empty<ContextLeakFinding>() : findings.ToArray();
                }
            }
        }

        internal StrictSettings Settings { get; }

        internal ContextGuard? Parent { get; }

        internal bool IsClosed => closed;

        /// <summary>Where <see cref="Activity.Current"/> was last set explicitly inside the guard (strict mode's hook).</summary>
        internal ActivityChange? LastActivityChange { get; set; }

        /// <summary>
        /// Records the ambient context and watches the calling flow until the guard is disposed.
        /// </summary>
        /// <param name="options">What to check and how to report; <see langword="null"/>: the options given to
        /// <see cref="StrictMode.Enable"/> when strict mode is on for the process, else the defaults.</param>
        /// <returns>The guard to dispose at the boundary.</returns>
        /// <exception cref="ArgumentException">A slot in <see cref="StrictModeOptions.ContextSlots"/> is not registered.</exception>
        public static ContextGuard Begin(StrictModeOptions? options = null)
        {
            var settings = options is not null ? new StrictSettings(options) : StrictTracker.Global ?? new StrictSettings(new StrictModeOptions());
            var guard = new ContextGuard(settings, StrictTracker.OpenGuard());
            StrictTracker.Arm();
            StrictTracker.CurrentGuard.Value = guard;
            return guard;
        }

        /// <summary>
        /// Checks the context against what was recorded, reports every difference and every activity left running, puts
        /// back what was recorded, and ends the watch. Harmless when called again.
        /// </summary>
        /// <exception cref="ContextLeakException">Something was found and <see cref="StrictModeOptions.ThrowFromGuard"/> is on.</exception>
        public void Dispose()
        {
            if (closed)
            {
                return;
            }

            closed = true;
            try
            {
                if (ReferenceEquals(StrictTracker.CurrentGuard.Value, this))
                {
                    StrictTracker.CurrentGuard.Value = Parent;
                }

                CheckContext();
                CheckActivities();
            }
            finally
            {
                StrictTracker.Disarm();
            }

            var all = Findings;
            if (all.Count > 0 && Settings.ThrowFromGuard)
            {
                throw new ContextLeakException(all);
            }
        }

        internal void Track(ActivityTrack track)
        {
            lock (gate)
            {
                if (closed)
                {
                    return;
                }

                tracks ??= new List<ActivityTrack>();

                // A long-lived guard keeps only the activities still running.
                if (tracks.Count >= 1024 && (tracks.Count & 1023) == 0)
                {
                    tracks.RemoveAll(t => !t.IsRunning);
                }

                tracks.Add(track);
            }
        }

        internal void TryAdd(ContextLeakFinding finding)
        {
            lock (gate)
            {
                (findings ??= new List<ContextLeakFinding>()).Add(finding);
            }
        }

        private void Found(ContextLeakFinding finding) => StrictTracker.Report(this, Settings, finding);

        private void CheckContext()
        {
            if (!Settings.Reports(ContextLeakKind.ContextNotRestored | ContextLeakKind.BaggageSharedWithSiblings))
            {
                return;
            }

            var activity = Activity.Current;
            if (activity != entryActivity && Settings.Reports(ContextLeakKind.ContextNotRestored))
            {
                var change = LastActivityChange;
                StackTrace? where = null;
                string? label = null;
                if (change is not null && change.Value == activity)
                {
                    (where, label) = (change.Where, "last set at");
                }
                else if (activity is not null && StrictTracker.TryGetTrack(activity, out var track) && track is not null)
                {
                    (where, label) = (track.Started, "the activity left current started at");
                }

                Found(new ContextLeakFinding(
                    ContextLeakKind.ContextNotRestored,
                    $"Activity.Current is {Describe(activity)} at the end of the guard, but was {Describe(entryActivity)} at its start: it was changed and not restored. Restore it in a finally block, or use ContextScope.Activate / ClearActivity with using.",
                    where,
                    label,
                    null,
                    null,
                    activity?.DisplayName,
                    activity?.Source.Name));
                Activity.Current = entryActivity;
            }

            var slot = BaggageSlot.Current;
            var baggage = Baggage.Current;
            if (!baggage.Equals(entryBaggage))
            {
                var inPlace = slot.Isolates && entryHolder is not null && slot.Same(entryHolder, slot.Capture());
                var kind = inPlace ? ContextLeakKind.BaggageSharedWithSiblings : ContextLeakKind.ContextNotRestored;
                if (Settings.Reports(kind))
                {
                    var message = inPlace
                        ? $"Baggage.Current was changed in place in the baggage holder this flow shares with the flow that started it and with its sibling flows (OpenTelemetry's shared holder): {Keys(entryBaggage)} became {Keys(baggage)}, and every flow sharing the holder, siblings started before the change included, sees it. Change baggage through ContextScope (a holder of its own, restored on dispose)."
                        : $"Baggage.Current is {Keys(baggage)} at the end of the guard, but was {Keys(entryBaggage)} at its start: it was changed and not restored. Use ContextScope.SetBaggage / Use with using.";
                    Found(new ContextLeakFinding(kind, message, null, null, null, null));
                }

                slot.Restore(entryHolder);
                if (!Baggage.Current.Equals(entryBaggage))
                {
                    Baggage.Current = entryBaggage;
                }
            }
            else if (!slot.Same(entryHolder, slot.Capture()))
            {
                // Same value in another holder: nothing anyone can see, but put the holder back.
                slot.Restore(entryHolder);
            }

            for (var i = 0; i < entrySlots.Length; i++)
            {
                var name = Settings.ContextSlots[i];
                var value = RuntimeContext.GetValue(name);
                if (Equals(value, entrySlots[i]))
                {
                    continue;
                }

                if (Settings.Reports(ContextLeakKind.ContextNotRestored))
                {
                    Found(new ContextLeakFinding(
                        ContextLeakKind.ContextNotRestored,
                        $"The RuntimeContext slot '{name}' holds {Describe(value)} at the end of the guard, but held {Describe(entrySlots[i])} at its start: it was changed and not restored. Use ContextScope.SetValue with using.",
                        null,
                        null,
                        null,
                        null));
                }

                RuntimeContext.SetValue(name, entrySlots[i]);
            }
        }

        private void CheckActivities()
        {
            ActivityTrack[] mine;
            lock (gate)
            {
                mine = tracks is null ? Array.Empty<ActivityTrack>() : tracks.ToArray();
                tracks = null;
            }

            foreach (var track in mine)
            {
                if (track.TryMarkReported() && Settings.Reports(ContextLeakKind.ActivityNotStopped))
                {
                    Found(track.NotStopped("was started inside the guard and is still running at its end"));
                }
            }
        }

        private static string Describe(Activity? activity) => activity is null ? "none" : $"'{activity.DisplayName}' ({activity.Source.Name})";

        private static string Describe(object? value) => value is null ? "null" : "'" + value + "'";

        private static string Keys(Baggage baggage)
        {
            var keys = new List<string>();
            foreach (var item in baggage.GetBaggage())
            {
                keys.Add(item.Key);
            }

            keys.Sort(StringComparer.Ordinal);
            return keys.Count == 0 ? "empty" : "{" + string.Join(", ", keys) + "}";
        }
    }
}
