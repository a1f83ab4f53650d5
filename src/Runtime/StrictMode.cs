using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Strict mode: the runtime counterpart of the ContextAnalyzers rules, for the leaks no static analysis sees (across
    /// assemblies, reflection, dependency injection, callbacks). It watches activities (an <see cref="ActivityListener"/>
    /// that keeps only weak references) and the ambient context, and reports, each with its rule ID and stack traces:
    /// context not restored (CTX101), activities never stopped (CTX102), activities ended by a non-owner or out of order
    /// and scopes disposed out of order (CTX103), work that outlives its span (CTX204), baggage shared with sibling flows
    /// (CTX206). See <see cref="ContextLeakKind"/>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Off by default, and free when off: no listener, no event handler, no stack trace; the helpers' hot paths do not
    /// look at it. Two ways on:
    /// </para>
    /// <list type="bullet">
    /// <item><see cref="ContextGuard.Begin"/>: watches the calling flow (and the flows it starts) until the guard is
    /// disposed, then reports what leaked; tests running in parallel each see only their own findings.</item>
    /// <item><see cref="Enable"/>, or the environment variable <see cref="EnvironmentVariable"/> (<c>1</c> or <c>true</c>),
    /// or the <c>AppContext</c> switch <see cref="SwitchName"/> (read when this assembly loads): watches every flow of the
    /// process and reports to the <see cref="StrictModeOptions.OnFinding"/> callback, the <c>ContextAnalyzers-Runtime</c>
    /// event source and the <see cref="FindingsCounterName"/> counter (development servers, whole test runs).</item>
    /// </list>
    /// </remarks>
    public static class StrictMode
    {
        /// <summary>The environment variable that turns strict mode on for the whole process (<c>1</c> or <c>true</c>).</summary>
        public const string EnvironmentVariable = "CONTEXTANALYZERS_STRICT_MODE";

        /// <summary>The <c>AppContext</c> switch that turns strict mode on for the whole process.</summary>
        public const string SwitchName = "ContextAnalyzers.Runtime.StrictMode";

        /// <summary>The counter of findings on the <see cref="BaggagePolicy.MeterName"/> meter; tags <c>rule</c> and <c>kind</c>.</summary>
        public const string FindingsCounterName = "contextanalyzers.strict.findings";

        /// <summary>Gets a value indicating whether strict mode watches the whole process (<see cref="Enable"/> or the environment).</summary>
        public static bool IsEnabled => StrictTracker.Global is not null;

        /// <summary>
        /// Turns strict mode on for the whole process until the returned handle is disposed. Guards begun without options
        /// use these options.
        /// </summary>
        /// <param name="options">What to check and where to report; <see langword="null"/>: the defaults.</param>
        /// <returns>The handle that turns strict mode off again.</returns>
        /// <exception cref="InvalidOperationException">Strict mode is already on for the process.</exception>
        public static IDisposable Enable(StrictModeOptions? options = null)
            => StrictTracker.EnableGlobal(new StrictSettings(options ?? new StrictModeOptions()));

        /// <summary>Turns strict mode on when the environment variable or the AppContext switch asks for it.</summary>
        /// <returns>The handle when strict mode was turned on, else <see langword="null"/>.</returns>
        internal static IDisposable? EnableFromEnvironment(Func<string, string?> environment)
        {
            var text = environment(EnvironmentVariable)?.Trim();
            var on = string.Equals(text, "1", StringComparison.Ordinal) || string.Equals(text, "true", StringComparison.OrdinalIgnoreCase);
            if (!on && !(AppContext.TryGetSwitch(SwitchName, out var switched) && switched))
            {
                return null;
            }

            return StrictTracker.Global is null ? Enable() : null;
        }

        /// <summary>A <see cref="ContextScope"/> was disposed while the value it installed was no longer current.</summary>
        /// <remarks>Never inlined: the stack it captures skips exactly its own frame.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static void OnScopeMismatch(string kind)
        {
            if (!StrictTracker.Armed)
            {
                return;
            }

            var settings = StrictTracker.SettingsHere(out var guard);
            if (settings is null || !settings.Reports(ContextLeakKind.EndedOutOfOrder))
            {
                return;
            }

            StrictTracker.Report(guard, settings, new ContextLeakFinding(
                ContextLeakKind.EndedOutOfOrder,
                $"A ContextScope ({kind}) was disposed while the value it installed was no longer current: a scope opened later is still open, or code inside the scope changed the context without restoring it. Dispose scopes in the reverse order of their creation (using declarations do).",
                settings.Capture(1, fileInfo: true),
                "disposed at",
                null,
                null));
        }
    }

    /// <summary>Turns strict mode on at load when the environment asks for it.</summary>
    internal static class StrictModeInitializer
    {
#pragma warning disable CA2255 // The switch must work without code changes: checking it when the assembly loads is the only way.
        [ModuleInitializer]
#pragma warning restore CA2255
        internal static void Initialize()
        {
            try
            {
                StrictMode.EnableFromEnvironment(Environment.GetEnvironmentVariable);
            }
            catch (Exception)
            {
                // A diagnostics switch must never keep the application from loading.
            }
        }
    }

    /// <summary>The shared machinery of strict mode: the activity listener, the weak activity table and the reporting.</summary>
    internal static class StrictTracker
    {
        internal static readonly AsyncLocal<ContextGuard?> CurrentGuard = new AsyncLocal<ContextGuard?>();

        private static readonly ConditionalWeakTable<Activity, ActivityTrack> Tracks = new ConditionalWeakTable<Activity, ActivityTrack>();
        private static readonly object Gate = new object();
        private static readonly Meter StrictMeter = new Meter(BaggagePolicy.MeterName);
        private static readonly Counter<long> Findings = StrictMeter.CreateCounter<long>(StrictMode.FindingsCounterName, "{finding}", "Context leaks found by strict mode.");
        [ThreadStatic]
        private static ActivityChange? pendingStart;

        private static int armed;
        private static ActivityListener? listener;
        private static Session? session;
        private static StrictSettings? global;

        /// <summary>Gets the process-wide settings, <see langword="null"/> when strict mode is not on for the process.</summary>
        public static StrictSettings? Global => Volatile.Read(ref global);

        /// <summary>Gets a value indicating whether anything (the process or a guard) watches.</summary>
        public static bool Armed => Volatile.Read(ref armed) > 0;

        public static IDisposable EnableGlobal(StrictSettings settings)
        {
            lock (Gate)
            {
                if (global is not null)
                {
                    throw new InvalidOperationException("Strict mode is already on for this process; dispose the handle returned by the first Enable, or use ContextGuard.Begin for a flow.");
                }

                Volatile.Write(ref global, settings);
                ArmLocked();
            }

            return new GlobalHandle(settings);
        }

        public static void Arm()
        {
            lock (Gate)
            {
                ArmLocked();
            }
        }

        public static void Disarm()
        {
            lock (Gate)
            {
                DisarmLocked();
            }
        }

        /// <summary>The innermost open guard of the calling flow, if any.</summary>
        public static ContextGuard? OpenGuard()
        {
            var guard = CurrentGuard.Value;
            while (guard is not null && guard.IsClosed)
            {
                guard = guard.Parent;
            }

            return guard;
        }

        /// <summary>The settings in force in the calling flow: its innermost open guard's, else the process's, else none.</summary>
        public static StrictSettings? SettingsHere(out ContextGuard? guard)
        {
            guard = OpenGuard();
            return guard?.Settings ?? Global;
        }

        public static bool TryGetTrack(Activity activity, out ActivityTrack? track) => Tracks.TryGetValue(activity, out track);

        /// <summary>Sends a finding to the guard (when open), the callback, the event source and the counter.</summary>
        public static void Report(ContextGuard? guard, StrictSettings settings, ContextLeakFinding finding)
        {
            guard?.TryAdd(finding);
            Publish(settings, finding);
        }

        /// <summary>Sends a finding to the callback, the event source and the counter (not to a guard).</summary>
        public static void Publish(StrictSettings settings, ContextLeakFinding finding)
        {
            Findings.Add(1, new KeyValuePair<string, object?>("rule", finding.RuleId), new KeyValuePair<string, object?>("kind", finding.Kind.ToString()));
            if (RuntimeEventSource.Log.IsEnabled())
            {
                RuntimeEventSource.Log.StrictFinding(finding.RuleId, finding.Kind.ToString(), finding.Message, finding.HelpLink, finding.StackTrace ?? string.Empty);
            }

            var callback = settings.OnFinding;
            if (callback is null)
            {
                return;
            }

            try
            {
                callback(finding);
            }
            catch (Exception)
            {
                // A reporting callback must not change the behaviour of the code it watches.
            }
        }

        private static void ArmLocked()
        {
            if (armed++ > 0)
            {
                return;
            }

            session = new Session();
            listener = new ActivityListener
            {
                ShouldListenTo = _ => true,
                Sample = Sample,
                SampleUsingParentId = SampleUsingParentId,
                ActivityStarted = OnStarted,
                ActivityStopped = OnStopped,
            };
            ActivitySource.AddActivityListener(listener);
            Activity.CurrentChanged += OnCurrentChanged;
        }

        private static void DisarmLocked()
        {
            if (--armed > 0)
            {
                return;
            }

            Activity.CurrentChanged -= OnCurrentChanged;
            listener?.Dispose();
            listener = null;

            // Activities still running will stop unseen: their tracks must not be reported as collected unstopped.
            session!.Ended = true;
            session = null;
        }

        private static ActivitySamplingResult Decide(ActivitySource source)
        {
            var settings = SettingsHere(out _);
            return settings is not null && settings.SampleActivities && !settings.Excludes(source.Name)
                ? ActivitySamplingResult.PropagationData
                : ActivitySamplingResult.None;
        }

        private static ActivitySamplingResult Sample(ref ActivityCreationOptions<ActivityContext> options) => Decide(options.Source);

        private static ActivitySamplingResult SampleUsingParentId(ref ActivityCreationOptions<string> options) => Decide(options.Source);

        private static void OnStarted(Activity activity)
        {
            var pending = pendingStart;
            pendingStart = null;
            var settings = SettingsHere(out var guard);
            var current = Volatile.Read(ref session);
            if (settings is null || current is null || settings.Excludes(activity.Source.Name))
            {
                return;
            }

            var started = pending is not null && pending.Value == activity ? pending.Where : settings.Capture(2, fileInfo: false);
            var track = new ActivityTrack(activity, guard, settings, current, started);
            try
            {
                Tracks.Add(activity, track);
            }
            catch (ArgumentException)
            {
                GC.SuppressFinalize(track);
                return;
            }

            guard?.Track(track);

            if (settings.Reports(ContextLeakKind.WorkOutlivesSpan) && activity.Parent is { IsStopped: true } parent)
            {
                Tracks.TryGetValue(parent, out var parentTrack);
                Report(guard, settings, new ContextLeakFinding(
                    ContextLeakKind.WorkOutlivesSpan,
                    $"Activity '{activity.DisplayName}' ({activity.Source.Name}) started as a child of '{parent.DisplayName}', which had already stopped: the work outlives its span. Await the work before the span ends, or start it as a new root linked to the span (DetachedWork.Run, RootActivityScope).",
                    track.Started,
                    "the child started at",
                    parentTrack?.Started,
                    "the stopped parent started at",
                    activity.DisplayName,
                    activity.Source.Name));
            }
        }

        private static void OnStopped(Activity activity)
        {
            if (!Tracks.TryGetValue(activity, out var track) || !track.MarkStopped())
            {
                return;
            }

            var current = Activity.Current;
            if (current == activity || track.ParentStoppedFirst)
            {
                // Stopped where it is current; or its parent was stopped before it (reported then), which made
                // Activity.Stop move Current away from it: not a second finding.
                return;
            }

            var ancestor = false;
            for (var a = current?.Parent; a is not null; a = a.Parent)
            {
                if (a == activity)
                {
                    ancestor = true;
                    break;
                }
            }

            if (ancestor)
            {
                for (var a = current; a is not null && a != activity; a = a.Parent)
                {
                    if (Tracks.TryGetValue(a, out var below))
                    {
                        below.ParentStoppedFirst = true;
                    }
                }
            }

            var settings = track.Settings;
            var kind = ancestor ? ContextLeakKind.EndedOutOfOrder : ContextLeakKind.StoppedByNonOwner;
            if (!settings.Reports(kind))
            {
                return;
            }

            var message = ancestor
                ? $"Activity '{activity.DisplayName}' ({activity.Source.Name}) was stopped while '{current!.DisplayName}', started under it, is still current: stop activities in the reverse order of their start, or Activity.Current is left on an activity whose parent has ended."
                : $"Activity '{activity.DisplayName}' ({activity.Source.Name}) was stopped by a flow in which it is not current (current: {(current is null ? "none" : "'" + current.DisplayName + "'")}) and which did not start it: the span is ended by code that does not own it. End it where it was started, or hand it over explicitly.";
            var stopping = OpenGuard();
            var guard = stopping ?? (track.Guard is { IsClosed: false } owner ? owner : null);
            Report(guard, settings, new ContextLeakFinding(kind, message, settings.Capture(1, fileInfo: true), "stopped at", track.Started, "started at", activity.DisplayName, activity.Source.Name));
        }

        private static void OnCurrentChanged(object? sender, ActivityChangedEventArgs e)
        {
            var guard = OpenGuard();
            if (guard is null || !guard.Settings.CaptureStackTraces)
            {
                return;
            }

            // A stop putting back the activity that was current at the start is a restore, not a change to report.
            if (e.Previous is { IsStopped: true })
            {
                return;
            }

            // Activity.Start sets Current and then notifies the listeners (OnStarted), on the same thread: a new activity
            // not yet tracked is most likely being started, and the stack captured here serves as its start stack too.
            var current = e.Current;
            var maybeStarting = current is not null && !current.IsStopped && !Tracks.TryGetValue(current, out _);
            var change = new ActivityChange(current, guard.Settings.Capture(1, fileInfo: !maybeStarting));
            if (maybeStarting)
            {
                pendingStart = change;
            }

            guard.LastActivityChange = change;
        }

        /// <summary>One period during which strict mode watched; activities it saw are reported only while it lasts.</summary>
        internal sealed class Session
        {
            public volatile bool Ended;
        }

        private sealed class GlobalHandle : IDisposable
        {
            private StrictSettings? settings;

            public GlobalHandle(StrictSettings settings) => this.settings = settings;

            public void Dispose()
            {
                var mine = Interlocked.Exchange(ref settings, null);
                if (mine is null)
                {
                    return;
                }

                lock (Gate)
                {
                    if (ReferenceEquals(global, mine))
                    {
                        Volatile.Write(ref global, null);
                        DisarmLocked();
                    }
                }
            }
        }
    }

    /// <summary>Where <see cref="Activity.Current"/> was last set explicitly inside a guard, and to what.</summary>
    internal sealed class ActivityChange
    {
        public ActivityChange(Activity? value, StackTrace? where)
        {
            Value = value;
            Where = where;
        }

        public Activity? Value { get; }

        public StackTrace? Where { get; }
    }

    /// <summary>
    /// What strict mode knows of one activity it saw start. Kept in a weak table keyed by the activity (it never keeps the
    /// activity alive); when the activity is collected without having stopped, the finalizer reports it.
    /// </summary>
    internal sealed class ActivityTrack
    {
        private const int Running = 0;
        private const int Stopped = 1;
        private const int Reported = 2;
        private readonly StrictTracker.Session session;
        private int state;

        public ActivityTrack(Activity activity, ContextGuard? guard, StrictSettings settings, StrictTracker.Session session, StackTrace? started)
        {
            Name = activity.DisplayName;
            Source = activity.Source.Name;
            Guard = guard;
            Settings = settings;
            this.session = session;
            Started = started;
        }

        ~ActivityTrack()
        {
            if (Volatile.Read(ref state) != Running || session.Ended || Environment.HasShutdownStarted || !Settings.Reports(ContextLeakKind.ActivityNotStopped))
            {
                return;
            }

            try
            {
                StrictTracker.Publish(Settings, NotStopped("was collected without being stopped: it was never exported, and its children parented on a span that never ended"));
            }
            catch (Exception)
            {
                // Never let a finalizer take the process down.
            }
        }

        public string Name { get; }

        public string Source { get; }

        public ContextGuard? Guard { get; }

        public StrictSettings Settings { get; }

        public StackTrace? Started { get; }

        public bool IsRunning => Volatile.Read(ref state) == Running;

        /// <summary>Gets or sets a value indicating whether an ancestor was stopped before this activity (and reported).</summary>
        public bool ParentStoppedFirst { get; set; }

        /// <summary>Records the stop; false when it was already stopped or reported.</summary>
        public bool MarkStopped()
        {
            if (Interlocked.CompareExchange(ref state, Stopped, Running) != Running)
            {
                return false;
            }

            GC.SuppressFinalize(this);
            return true;
        }

        /// <summary>Claims the report of an activity still running; false when it stopped or was reported already.</summary>
        public bool TryMarkReported()
        {
            if (Interlocked.CompareExchange(ref state, Reported, Running) != Running)
            {
                return false;
            }

            GC.SuppressFinalize(this);
            return true;
        }

        public ContextLeakFinding NotStopped(string what) => new ContextLeakFinding(
            ContextLeakKind.ActivityNotStopped,
            $"Activity '{Name}' ({Source}) {what}. Stop it on every path (using, or Dispose in finally).",
            Started,
            "started at",
            null,
            null,
            Name,
            Source);
    }
}
