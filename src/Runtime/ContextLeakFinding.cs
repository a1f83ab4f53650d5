using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// What strict mode can find at run time (<see cref="StrictMode"/>, <see cref="ContextGuard"/>). Each kind names
    /// the ContextAnalyzers rule that finds the same bug in source (<see cref="ContextLeakFinding.RuleId"/>); combine
    /// them to choose the kinds reported (<see cref="StrictModeOptions.Kinds"/>).
    /// </summary>
    [Flags]
    public enum ContextLeakKind
    {
        /// <summary>No kind.</summary>
        None = 0,

        /// <summary>
        /// CTX101: <see cref="Activity.Current"/>, <c>Baggage.Current</c> or a checked <c>RuntimeContext</c> slot differs
        /// at the end of a guard from what it was at its start.
        /// </summary>
        ContextNotRestored = 1,

        /// <summary>CTX102: an activity started and not stopped by the end of its guard, or collected without being stopped.</summary>
        ActivityNotStopped = 2,

        /// <summary>CTX103: an activity stopped by a flow in which it is not current and that did not start it.</summary>
        StoppedByNonOwner = 4,

        /// <summary>
        /// CTX103: an activity stopped while an activity started under it is still current, or a <see cref="ContextScope"/>
        /// disposed while the value it installed is no longer current (a scope opened later is still open).
        /// </summary>
        EndedOutOfOrder = 8,

        /// <summary>CTX204: an activity started as the child of an activity that has already stopped (work outlives its span).</summary>
        WorkOutlivesSpan = 16,

        /// <summary>
        /// CTX206: baggage changed in place in the holder a flow shares with the flow that started it and with its sibling
        /// flows (OpenTelemetry's shared baggage holder), so the change is visible to flows started before it.
        /// </summary>
        BaggageSharedWithSiblings = 32,

        /// <summary>Every kind.</summary>
        All = ContextNotRestored | ActivityNotStopped | StoppedByNonOwner | EndedOutOfOrder | WorkOutlivesSpan | BaggageSharedWithSiblings,
    }

    /// <summary>One leak or misuse of ambient context found at run time by strict mode.</summary>
    public sealed class ContextLeakFinding
    {
        /// <summary>Where the rules' documentation lives (the same links as the analyzers' help links).</summary>
        public const string HelpLinkBase = "https://github.com/ContextAnalyzers/ContextAnalyzers/blob/main/docs/rules/";

        private readonly StackTrace? where;
        private readonly StackTrace? related;
        private string? whereText;
        private string? relatedText;

        internal ContextLeakFinding(ContextLeakKind kind, string message, StackTrace? where, string? whereLabel, StackTrace? related, string? relatedLabel, string? activityName = null, string? sourceName = null)
        {
            Kind = kind;
            RuleId = RuleOf(kind);
            HelpLink = HelpLinkBase + RuleId + ".md";
            Message = message;
            this.where = where;
            this.related = related;
            StackTraceLabel = whereLabel;
            RelatedStackTraceLabel = relatedLabel;
            ActivityName = activityName;
            SourceName = sourceName;
        }

        /// <summary>Gets what was found.</summary>
        public ContextLeakKind Kind { get; }

        /// <summary>Gets the ID of the ContextAnalyzers rule that reports the same bug in source, e.g. <c>CTX101</c>.</summary>
        public string RuleId { get; }

        /// <summary>Gets the link to the rule's documentation page.</summary>
        public string HelpLink { get; }

        /// <summary>Gets a one-paragraph description of the finding and of its fix.</summary>
        public string Message { get; }

        /// <summary>Gets the name of the activity concerned, if any.</summary>
        public string? ActivityName { get; }

        /// <summary>Gets the name of the <see cref="ActivitySource"/> of the activity concerned, if any.</summary>
        public string? SourceName { get; }

        /// <summary>Gets what <see cref="StackTrace"/> shows (for example "started at", "last changed at").</summary>
        public string? StackTraceLabel { get; }

        /// <summary>
        /// Gets the stack trace of the code at fault (the last change of the context, where the activity started or was
        /// stopped), <see langword="null"/> when stack traces are off or the place cannot be observed.
        /// </summary>
        public string? StackTrace => where is null ? null : whereText ??= where.ToString();

        /// <summary>Gets what <see cref="RelatedStackTrace"/> shows (for example "the parent started at").</summary>
        public string? RelatedStackTraceLabel { get; }

        /// <summary>Gets a second stack trace where one helps (the stopped parent's start, the activity's start), or <see langword="null"/>.</summary>
        public string? RelatedStackTrace => related is null ? null : relatedText ??= related.ToString();

        /// <inheritdoc/>
        public override string ToString()
        {
            var text = new StringBuilder();
            text.Append(RuleId).Append(' ').Append(Kind).Append(": ").Append(Message).Append(" (").Append(HelpLink).Append(')');
            Append(text, StackTraceLabel, StackTrace);
            Append(text, RelatedStackTraceLabel, RelatedStackTrace);
            return text.ToString();
        }

        internal static string RuleOf(ContextLeakKind kind) => kind switch
        {
            ContextLeakKind.ContextNotRestored => "CTX101",
            ContextLeakKind.ActivityNotStopped => "CTX102",
            ContextLeakKind.StoppedByNonOwner => "CTX103",
            ContextLeakKind.EndedOutOfOrder => "CTX103",
            ContextLeakKind.WorkOutlivesSpan => "CTX204",
            ContextLeakKind.BaggageSharedWithSiblings => "CTX206",
            _ => "CTX000",
        };

        private static void Append(StringBuilder text, string? label, string? stack)
        {
            if (stack is null)
            {
                return;
            }

            text.AppendLine().Append("  ").Append(label ?? "at").AppendLine(":").Append(stack.TrimEnd());
        }
    }

    /// <summary>Thrown by <see cref="ContextGuard.Dispose"/> when strict mode found leaks inside the guard.</summary>
    public sealed class ContextLeakException : Exception
    {
        /// <summary>Initializes a new instance of the <see cref="ContextLeakException"/> class.</summary>
        /// <param name="findings">What was found.</param>
        public ContextLeakException(IReadOnlyList<ContextLeakFinding> findings)
            : base(Describe(findings))
        {
            Findings = findings;
        }

        /// <summary>Gets every finding of the guard, in the order found.</summary>
        public IReadOnlyList<ContextLeakFinding> Findings { get; }

        private static string Describe(IReadOnlyList<ContextLeakFinding> findings)
        {
            if (findings is null)
            {
                throw new ArgumentNullException(nameof(findings));
            }

            var text = new StringBuilder();
            text.Append(findings.Count).Append(findings.Count == 1 ? " context leak" : " context leaks").Append(" found by strict mode:");
            for (var i = 0; i < findings.Count; i++)
            {
                text.AppendLine().AppendLine().Append(i + 1).Append(". ").Append(findings[i]);
            }

            return text.ToString();
        }
    }
}
