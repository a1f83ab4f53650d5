using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// What strict mode checks and where it reports, for <see cref="StrictMode.Enable"/> and <see cref="ContextGuard.Begin"/>.
    /// Read once when strict mode or the guard starts: later changes have no effect.
    /// </summary>
    public sealed class StrictModeOptions
    {
        /// <summary>Gets or sets the kinds of finding reported. Default: <see cref="ContextLeakKind.All"/>.</summary>
        /// <remarks>
        /// Instrumentation libraries legitimately stop activities from callbacks that run in other flows: switch
        /// <see cref="ContextLeakKind.StoppedByNonOwner"/> off, or exclude their sources (<see cref="ExcludedSources"/>).
        /// </remarks>
        public ContextLeakKind Kinds { get; set; } = ContextLeakKind.All;

        /// <summary>
        /// Gets the names of the <see cref="ActivitySource"/>s whose activities strict mode ignores (ordinal; a name ending
        /// in <c>*</c> excludes every source that starts with what precedes it, e.g. <c>"Microsoft.AspNetCore*"</c>).
        /// </summary>
        public ICollection<string> ExcludedSources { get; } = new List<string>();

        /// <summary>
        /// Gets the names of the <c>RuntimeContext</c> slots (registered with <c>RuntimeContext.RegisterSlot</c>) that a
        /// guard also records on entry and checks on dispose, besides <see cref="Activity.Current"/> and <c>Baggage.Current</c>.
        /// </summary>
        public ICollection<string> ContextSlots { get; } = new List<string>();

        /// <summary>
        /// Gets or sets a value indicating whether stack traces are captured (where activities start, where the context last
        /// changed). Default: <see langword="true"/>. Captured only while strict mode runs; switch off to make it cheaper.
        /// </summary>
        public bool CaptureStackTraces { get; set; } = true;

        /// <summary>
        /// Gets or sets a value indicating whether strict mode asks for an activity from every source in the flows it
        /// watches (as <see cref="ActivitySamplingResult.PropagationData"/>: created, not recorded), so that leaks show even
        /// where no SDK listens, as in most unit tests. Default: <see langword="true"/>. Other listeners' sampling still
        /// decides what is recorded; flows outside strict mode are never affected.
        /// </summary>
        public bool SampleActivities { get; set; } = true;

        /// <summary>
        /// Gets or sets a value indicating whether <see cref="ContextGuard.Dispose"/> throws <see cref="ContextLeakException"/>
        /// when it found something. Default: <see langword="true"/> (tests); set to <see langword="false"/> to only report.
        /// </summary>
        public bool ThrowFromGuard { get; set; } = true;

        /// <summary>
        /// Gets or sets a callback for each finding, called on the thread that found it (a finalizer thread for an activity
        /// collected without being stopped). Exceptions it throws are ignored. Every finding is also written to the
        /// <c>ContextAnalyzers-Runtime</c> event source and counted on <see cref="StrictMode.FindingsCounterName"/>.
        /// </summary>
        public Action<ContextLeakFinding>? OnFinding { get; set; }
    }

    /// <summary>An immutable copy of <see cref="StrictModeOptions"/>.</summary>
    internal sealed class StrictSettings
    {
        private readonly string[] exactSources;
        private readonly string[] sourcePrefixes;

        public StrictSettings(StrictModeOptions options)
        {
            Kinds = options.Kinds;
            CaptureStackTraces = options.CaptureStackTraces;
            SampleActivities = options.SampleActivities;
            ThrowFromGuard = options.ThrowFromGuard;
            OnFinding = options.OnFinding;
            var slots = new List<string>();
            foreach (var slot in options.ContextSlots)
            {
                if (!string.IsNullOrEmpty(slot))
                {
                    slots.Add(slot);
                }
            }

            ContextSlots = slots.ToArray();
            var exact = new List<string>();
            var prefixes = new List<string>();
            foreach (var name in options.ExcludedSources)
            {
                if (string.IsNullOrEmpty(name))
                {
                    continue;
                }

                if (name.EndsWith("*", StringComparison.Ordinal))
                {
                    prefixes.Add(name.Substring(0, name.Length - 1));
                }
                else
                {
                    exact.Add(name);
                }
            }

            exactSources = exact.ToArray();
            sourcePrefixes = prefixes.ToArray();
        }

        public ContextLeakKind Kinds { get; }

        public bool CaptureStackTraces { get; }

        public bool SampleActivities { get; }

        public bool ThrowFromGuard { get; }

        public Action<ContextLeakFinding>? OnFinding { get; }

        public string[] ContextSlots { get; }

        public bool Reports(ContextLeakKind kind) => (Kinds & kind) != 0;

        public bool Excludes(string sourceName)
        {
            foreach (var name in exactSources)
            {
                if (string.Equals(name, sourceName, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            foreach (var prefix in sourcePrefixes)
            {
                if (sourceName.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The caller's stack without its <paramref name="skipFrames"/> innermost frames (its own included).</summary>
        /// <remarks>
        /// Never inlined, nor are the callers whose frames are counted (they are called through delegates or marked):
        /// an inlined frame is missing from the stack, and the skip would then drop the user's frame.
        /// </remarks>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public StackTrace? Capture(int skipFrames, bool fileInfo) => CaptureStackTraces ? new StackTrace(skipFrames + 1, fileInfo) : null;
    }
}
