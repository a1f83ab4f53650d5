using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>CTX2xx: context lost, frozen or leaked across thread, task, timer and queue hops.</summary>
    internal static partial class Descriptors
    {
        private const string CTX201Title = "Work is queued without the execution context";

        private const string CTX201Description = "ThreadPool.UnsafeQueueUserWorkItem, UnsafeRegisterWaitForSingleObject, Thread.UnsafeStart, CancellationToken.UnsafeRegister and work started inside ExecutionContext.SuppressFlow() run without the caller's ExecutionContext: Activity.Current is null and baggage is empty in the callback. That is only right for infrastructure code whose callback touches no context; it is a bug when the callback reads inherited context, when the method hands off the work of a live activity, or when the callback runs a delegate supplied by the caller.";

        /// <summary>CTX201 on an unsafe API whose callback reads the inherited context; the rule's other messages follow.</summary>
        public static readonly DiagnosticDescriptor CTX201WorkQueuedWithoutExecutionContext = Create(
            DiagnosticIds.WorkQueuedWithoutExecutionContext,
            CTX201Title,
            "Work started by '{0}' runs without the execution context, but the callback reads the inherited context",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX201Description);

        public static readonly DiagnosticDescriptor CTX201LiveActivityHandedOff = Create(
            DiagnosticIds.WorkQueuedWithoutExecutionContext,
            CTX201Title,
            "Work started by '{0}' runs without the execution context, but the activity '{1}' started in this method is live and its work is handed off without it",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX201Description);

        public static readonly DiagnosticDescriptor CTX201CallerDelegate = Create(
            DiagnosticIds.WorkQueuedWithoutExecutionContext,
            CTX201Title,
            "Work started by '{0}' runs without the execution context, but the callback runs a delegate supplied by the caller",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX201Description);

        public static readonly DiagnosticDescriptor CTX201StoredCallerDelegate = Create(
            DiagnosticIds.WorkQueuedWithoutExecutionContext,
            CTX201Title,
            "Work started by '{0}' runs without the execution context, but the work runs a delegate supplied by the caller and stored in '{1}'",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX201Description);

        public static readonly DiagnosticDescriptor CTX201SuppressedReadsContext = Create(
            DiagnosticIds.WorkQueuedWithoutExecutionContext,
            CTX201Title,
            "Work started by '{0} under ExecutionContext.SuppressFlow()' runs without the execution context, but the callback reads the inherited context",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX201Description);

        public static readonly DiagnosticDescriptor CTX201SuppressedLiveActivity = Create(
            DiagnosticIds.WorkQueuedWithoutExecutionContext,
            CTX201Title,
            "Work started by '{0} under ExecutionContext.SuppressFlow()' runs without the execution context, but the activity '{1}' started in this method is live and its work is handed off without it",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX201Description);

        public static readonly DiagnosticDescriptor CTX201SuppressedCallerDelegate = Create(
            DiagnosticIds.WorkQueuedWithoutExecutionContext,
            CTX201Title,
            "Work started by '{0} under ExecutionContext.SuppressFlow()' runs without the execution context, but the callback runs a delegate supplied by the caller",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX201Description);

        public static readonly DiagnosticDescriptor CTX202FlowSuppressionNotUndone = Create(
            DiagnosticIds.FlowSuppressionNotUndone,
            "Flow suppression is not undone",
            "The flow suppression started here is not undone on every path; dispose the AsyncFlowControl or call ExecutionContext.RestoreFlow() in a finally",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            "ExecutionContext.SuppressFlow() stays in effect on the thread until its AsyncFlowControl is disposed or undone, or ExecutionContext.RestoreFlow() is called. If an exception (or an early return) skips that, every Task.Run, timer and queued work item started later on the thread silently loses its context, and the next SuppressFlow() throws.");

        private const string CTX203Title = "Context kept in thread-local storage";

        private const string CTX203Description = "Thread-local storage does not follow the logical flow: after an await or in a Task.Run the code runs on another thread and sees another request's value or none. Keep Activity, ActivityContext, Baggage, PropagationContext, SpanContext or TelemetrySpan in an AsyncLocal<T>, and keep OpenTelemetry's RuntimeContext on its default AsyncLocal slots.";

        private const string CTX203SlotsKeepTheirStorage = ": slots already registered (baggage among them) keep their old storage; set it first, before anything touches OpenTelemetry";

        /// <summary>CTX203 on a [ThreadStatic] field; the rule's other messages follow.</summary>
        public static readonly DiagnosticDescriptor CTX203ContextInThreadLocalStorage = Create(
            DiagnosticIds.ContextInThreadLocalStorage,
            CTX203Title,
            "'{0}' keeps {1} in a [ThreadStatic] field: after an await or in Task.Run the code runs on another thread and sees another flow's value; use AsyncLocal<T>",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX203Description);

        public static readonly DiagnosticDescriptor CTX203ContextInThreadLocal = Create(
            DiagnosticIds.ContextInThreadLocalStorage,
            CTX203Title,
            "'{0}' keeps {1} in a ThreadLocal<T>: after an await or in Task.Run the code runs on another thread and sees another flow's value; use AsyncLocal<T>",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX203Description);

        public static readonly DiagnosticDescriptor CTX203ThreadLocalContextSlot = Create(
            DiagnosticIds.ContextInThreadLocalStorage,
            CTX203Title,
            "RuntimeContext.ContextSlotType is set to ThreadLocalRuntimeContextSlot: OpenTelemetry context is lost after every await and in every Task.Run; keep the default AsyncLocal slots",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX203Description);

        public static readonly DiagnosticDescriptor CTX203ContextSlotTypeSetLate = Create(
            DiagnosticIds.ContextInThreadLocalStorage,
            CTX203Title,
            "RuntimeContext.ContextSlotType is set after {0} was used" + CTX203SlotsKeepTheirStorage,
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX203Description);

        public static readonly DiagnosticDescriptor CTX203ContextSlotTypeSetAfterInitializer = Create(
            DiagnosticIds.ContextInThreadLocalStorage,
            CTX203Title,
            "RuntimeContext.ContextSlotType is set after {0} was used by the initializer of '{1}', which runs before the static constructor" + CTX203SlotsKeepTheirStorage,
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX203Description);

        public static readonly DiagnosticDescriptor CTX204FireAndForgetOutlivesSpan = Create(
            DiagnosticIds.FireAndForgetOutlivesSpan,
            "Fire-and-forget work outlives its span",
            "This work is started while '{0}' is live and is not awaited before '{0}' ends: it runs with a stopped span as Activity.Current and parents new spans on it",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            "Task.Run, Task.Factory.StartNew, ThreadPool.QueueUserWorkItem, new Thread(..).Start() and un-awaited async calls capture the ExecutionContext, including the activity started in the method. When the method ends that activity before the work completes, the work still sees it as Activity.Current (IsStopped == true) and every span it starts is a child of an ended span. Await the work before the activity ends, or run it detached: a new root activity linked to the caller's span.");

        public static readonly DiagnosticDescriptor CTX205TimerCapturesContext = Create(
            DiagnosticIds.TimerCapturesContext,
            "Timer captures the current context forever",
            "This timer is created while '{0}' is live: it captures the execution context now and every tick runs in that activity's trace",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            "System.Threading.Timer captures the ExecutionContext when it is constructed (System.Timers.Timer when it is first started) and replays it on every tick for the life of the timer. Created inside a request's activity, every tick joins that request's trace and sees its baggage, long after the request ended. Create the timer without capturing the context and start a fresh root per tick.");

        private const string CTX206Title = "Ambient change is lost when the flow returns";

        private const string CTX206Description = "An async method, an async lambda, or a delegate run by Task.Run, StartNew, QueueUserWorkItem, Parallel.* or ContinueWith runs on a copy of the caller's ExecutionContext that is thrown away when it returns. Setting Activity.Current at its end changes nothing the caller can see; a Baggage change there is either lost or, through OpenTelemetry's shared baggage holder, leaks into the caller and sibling tasks by accident. Return the value instead, or make the change in the caller.";

        /// <summary>CTX206 on a change of Activity.Current; the rule's other messages follow.</summary>
        public static readonly DiagnosticDescriptor CTX206AmbientChangeLostOnReturn = Create(
            DiagnosticIds.AmbientChangeLostOnReturn,
            CTX206Title,
            "This change of Activity.Current is lost: nothing after it in this flow observes it, and the caller's context comes back when the flow returns",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX206Description);

        public static readonly DiagnosticDescriptor CTX206RuntimeContextSlotChangeLost = Create(
            DiagnosticIds.AmbientChangeLostOnReturn,
            CTX206Title,
            "This change of a RuntimeContext slot is lost: nothing after it in this flow observes it, and the caller's context comes back when the flow returns",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX206Description);

        public static readonly DiagnosticDescriptor CTX206BaggageChangeLost = Create(
            DiagnosticIds.AmbientChangeLostOnReturn,
            CTX206Title,
            "This change of the baggage is lost: nothing after it in this flow observes it, and the caller's context comes back when the flow returns",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX206Description);

        public static readonly DiagnosticDescriptor CTX206AmbientMemberChangeLost = Create(
            DiagnosticIds.AmbientChangeLostOnReturn,
            CTX206Title,
            "This change of '{0}' is lost: nothing after it in this flow observes it, and the caller's context comes back when the flow returns",
            RuleCategories.Flow,
            DiagnosticSeverity.Warning,
            CTX206Description);

        private const string CTX207Title = "Queue hand-off drops the context";

        private const string CTX207Description = "A Channel<T>, BlockingCollection<T> or ConcurrentQueue<T> hands items to a consumer that runs in its own flow: the producer's activity and baggage do not travel with the item unless the item carries them. Wrap items in a ContextEnvelope<T> (or carry a PropagationContext/ActivityContext) and start the processing activity with the producer's context as parent or link.";

        /// <summary>CTX207 on a BlockingCollection or ConcurrentQueue, named by its type.</summary>
        public static readonly DiagnosticDescriptor CTX207QueueHandOffDropsContext = Create(
            DiagnosticIds.QueueHandOffDropsContext,
            CTX207Title,
            "'{0}' items pass through this {1} without the producer's context: the activity that processes them has no parent and no link to the producer's span; enqueue a ContextEnvelope<{0}> or carry the ActivityContext",
            RuleCategories.Flow,
            DiagnosticSeverity.Info,
            CTX207Description);

        /// <summary>CTX207 on a channel.</summary>
        public static readonly DiagnosticDescriptor CTX207ChannelHandOffDropsContext = Create(
            DiagnosticIds.QueueHandOffDropsContext,
            CTX207Title,
            "'{0}' items pass through this channel without the producer's context: the activity that processes them has no parent and no link to the producer's span; enqueue a ContextEnvelope<{0}> or carry the ActivityContext",
            RuleCategories.Flow,
            DiagnosticSeverity.Info,
            CTX207Description);
    }
}
