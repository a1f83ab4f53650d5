using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>CTX1xx — attach without detach.</summary>
    internal static partial class Descriptors
    {
        private const string CTX101Title = "Ambient context is set without being restored";

        private const string CTX101Description =
            "Activity.Current, Baggage.Current (also written by every static Baggage.SetBaggage/RemoveBaggage/ClearBaggage), " +
            "RuntimeContext slots and Tracer.WithSpan change ambient context that outlives the method: a synchronous method leaks " +
            "the change to its caller, and Baggage's holder is shared with the caller even in async code. Capture the previous " +
            "value and restore it in a finally, or use a disposable scope such as ContextScope. A team's own AsyncLocal-backed " +
            "context (a static AsyncLocal<T> field, the property that wraps it, or a member declared with [AmbientContext] or " +
            "ctx_analyzers.ambient_members) is checked the same way.";

        private const string CTX101UnsampledDescription =
            "StartActivity returns null when no listener samples the activity. Writing its result to Activity.Current then " +
            "clears the caller's current activity: later spans lose their parent, and no Stop or end hook can restore it because " +
            "there is no activity to end. StartActivity already makes a sampled activity current: drop the write, or guard it " +
            "with a null check.";

        /// <summary>CTX101 in a method or local function named '{1}'; the rule's other messages follow.</summary>
        public static readonly DiagnosticDescriptor CTX101AmbientContextNotRestored = Create(
            DiagnosticIds.AmbientContextNotRestored,
            CTX101Title,
            "'{0}' is changed here but the previous value is not restored on every path out of '{1}'",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX101Description);

        public static readonly DiagnosticDescriptor CTX101NotRestoredInLambda = Create(
            DiagnosticIds.AmbientContextNotRestored,
            CTX101Title,
            "'{0}' is changed here but the previous value is not restored on every path out of the lambda",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX101Description);

        /// <summary>CTX101 on a RuntimeContext slot, which has no name of its own in the message.</summary>
        public static readonly DiagnosticDescriptor CTX101SlotNotRestored = Create(
            DiagnosticIds.AmbientContextNotRestored,
            CTX101Title,
            "'RuntimeContext slot' is changed here but the previous value is not restored on every path out of '{0}'",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX101Description);

        public static readonly DiagnosticDescriptor CTX101SlotNotRestoredInLambda = Create(
            DiagnosticIds.AmbientContextNotRestored,
            CTX101Title,
            "'RuntimeContext slot' is changed here but the previous value is not restored on every path out of the lambda",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX101Description);

        public static readonly DiagnosticDescriptor CTX101CurrentSetToUnsampledActivity = Create(
            DiagnosticIds.AmbientContextNotRestored,
            CTX101Title,
            "'Activity.Current' is set to '{0}', which is null when the activity is not sampled: that clears the caller's activity in '{1}' and nothing puts it back",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX101UnsampledDescription);

        public static readonly DiagnosticDescriptor CTX101UnsampledActivityInLambda = Create(
            DiagnosticIds.AmbientContextNotRestored,
            CTX101Title,
            "'Activity.Current' is set to '{0}', which is null when the activity is not sampled: that clears the caller's activity in the lambda and nothing puts it back",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX101UnsampledDescription);

        private const string CTX102Description =
            "An activity or span that is started must be stopped, disposed or ended on every path, exceptions and early returns " +
            "included: otherwise it stays Activity.Current for the rest of the flow, later spans get it as parent, and it is never " +
            "exported. Use a using declaration, or end it in a finally.";

        private const string CTX102Title = "Activity or span is not ended on every path";

        /// <summary>CTX102 on a started activity whose result is discarded; the rule's other messages follow (activity, then span).</summary>
        public static readonly DiagnosticDescriptor CTX102ActivityNotEnded = Create(
            DiagnosticIds.ActivityNotEnded,
            CTX102Title,
            "The activity started here is not ended on every path: its result is discarded",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX102Description);

        public static readonly DiagnosticDescriptor CTX102ActivityNotEndedOnPath = Create(
            DiagnosticIds.ActivityNotEnded,
            CTX102Title,
            "The activity started here is not ended on every path: a path leaves the method without ending '{0}'",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX102Description);

        public static readonly DiagnosticDescriptor CTX102ActivityNotEndedOnException = Create(
            DiagnosticIds.ActivityNotEnded,
            CTX102Title,
            "The activity started here is not ended on every path: an exception can leave the method before '{0}' is ended (end it in a finally)",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX102Description);

        public static readonly DiagnosticDescriptor CTX102ActivityOverwritten = Create(
            DiagnosticIds.ActivityNotEnded,
            CTX102Title,
            "The activity started here is not ended on every path: '{0}' is assigned again before it was ended",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX102Description);

        public static readonly DiagnosticDescriptor CTX102SpanDiscarded = Create(
            DiagnosticIds.ActivityNotEnded,
            CTX102Title,
            "The span started here is not ended on every path: its result is discarded",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX102Description);

        public static readonly DiagnosticDescriptor CTX102SpanNotEndedOnPath = Create(
            DiagnosticIds.ActivityNotEnded,
            CTX102Title,
            "The span started here is not ended on every path: a path leaves the method without ending '{0}'",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX102Description);

        public static readonly DiagnosticDescriptor CTX102SpanNotEndedOnException = Create(
            DiagnosticIds.ActivityNotEnded,
            CTX102Title,
            "The span started here is not ended on every path: an exception can leave the method before '{0}' is ended (end it in a finally)",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX102Description);

        public static readonly DiagnosticDescriptor CTX102SpanOverwritten = Create(
            DiagnosticIds.ActivityNotEnded,
            CTX102Title,
            "The span started here is not ended on every path: '{0}' is assigned again before it was ended",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX102Description);

        public static readonly DiagnosticDescriptor CTX103SpanEndedByNonOwner = Create(
            DiagnosticIds.SpanEndedByNonOwner,
            "Span ended by code that did not start it",
            "'{0}' ends whatever activity happens to be current, not one this code started",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            "Activity.Current and Tracer.CurrentSpan are whatever is current at that moment: stopping or disposing them ends an " +
            "activity that some other code started and still owns, and Stop() then makes current the activity that was current " +
            "when that other activity started. Keep a reference to the activity you started and end that one.");

        public static readonly DiagnosticDescriptor CTX104BaggageResultDiscarded = Create(
            DiagnosticIds.BaggageResultDiscarded,
            "Baggage result discarded",
            "'{0}' returns a new Baggage and changes nothing: its result is discarded",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            "Baggage is immutable: the instance methods SetBaggage, RemoveBaggage and ClearBaggage return a new Baggage and leave " +
            "the receiver, and Baggage.Current, unchanged. Discarding the result makes the call a no-op. Make the result current " +
            "in a scope, or keep it in a variable.");

        public static readonly DiagnosticDescriptor CTX105StaticBaggageCallReplacesCurrent = Create(
            DiagnosticIds.StaticBaggageCallReplacesCurrent,
            "Static Baggage call with an explicit baggage replaces Current",
            "Static 'Baggage.{0}' with an explicit baggage makes its result Baggage.Current, dropping what was current",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Info,
            "Every static Baggage.SetBaggage/RemoveBaggage/ClearBaggage writes Baggage.Current. With an explicit baggage argument, " +
            "Current becomes the argument's result: the entries that were current are lost, although the call reads like a pure " +
            "operation on the argument. Call the instance method on the baggage instead, or assign Baggage.Current on purpose.");

        private const string CTX106Title = "Logging scope is not disposed on every path";

        private const string CTX106Description = "ILogger.BeginScope pushes a scope on an AsyncLocal stack (Microsoft.Extensions.Logging's scope provider): until it is disposed, every log entry of the flow carries its state, and a synchronous caller inherits it. A scope that is discarded, or not disposed on a path (an early return, an exception), leaks into log entries that have nothing to do with it. Use a using declaration or statement, or dispose it in a finally.";

        /// <summary>CTX106 on a scope whose result is discarded; the rule's other messages follow.</summary>
        public static readonly DiagnosticDescriptor CTX106LoggingScopeNotDisposed = Create(
            DiagnosticIds.LoggingScopeNotDisposed,
            CTX106Title,
            "The logging scope begun here is not disposed on every path: its result is discarded, so the scope stays open for the rest of the flow",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX106Description);

        public static readonly DiagnosticDescriptor CTX106LoggingScopeNotDisposedOnPath = Create(
            DiagnosticIds.LoggingScopeNotDisposed,
            CTX106Title,
            "The logging scope begun here is not disposed on every path: a path leaves the method without disposing '{0}'",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX106Description);

        public static readonly DiagnosticDescriptor CTX106LoggingScopeNotDisposedOnException = Create(
            DiagnosticIds.LoggingScopeNotDisposed,
            CTX106Title,
            "The logging scope begun here is not disposed on every path: an exception can leave the method before '{0}' is disposed (dispose it in a finally, or use 'using')",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX106Description);

        public static readonly DiagnosticDescriptor CTX106LoggingScopeOverwritten = Create(
            DiagnosticIds.LoggingScopeNotDisposed,
            CTX106Title,
            "The logging scope begun here is not disposed on every path: '{0}' is assigned again before it was disposed",
            RuleCategories.Lifetime,
            DiagnosticSeverity.Warning,
            CTX106Description);
    }
}
