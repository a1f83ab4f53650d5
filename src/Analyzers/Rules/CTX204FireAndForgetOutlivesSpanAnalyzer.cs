using System.Collections.Immutable;
using System.Threading;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX204: work started while an activity started in the same function is live (<c>Task.Run</c>,
    /// <c>Task.Factory.StartNew</c>, <c>ThreadPool.QueueUserWorkItem</c>, <c>Thread.Start</c>, a discarded or
    /// un-awaited task) that is not awaited or otherwise observed before that activity ends.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX204FireAndForgetOutlivesSpanAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX204FireAndForgetOutlivesSpan);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.MayUseTelemetry(start.CancellationToken) || (types.Activity is null || types.Task is null))
                {
                    return;
                }

                // The names of the compilation's start helpers are found once, here, while the other analyzers start: the
                // first body gate that asked would make every other thread wait for them.
                ActivityStarts.StartHelperNames(types, start.CancellationToken);

                // Only bodies that start an activity can have a live one: a cheap syntactic gate per code block.
                start.RegisterOperationBlockStartAction(block =>
                {
                    if (!StartsActivity(block.OperationBlocks, block.CancellationToken)
                        && !ActivityStarts.CallsStartHelper(block.OperationBlocks, ActivityStarts.StartHelperNames(types, block.CancellationToken), block.CancellationToken))
                    {
                        return;
                    }

                    block.RegisterOperationAction(
                        c =>
                        {
                            if (c.Operation is IInvocationOperation)
                            {
                                Analyze(c, types);
                            }
                            else
                            {
                                CTX204CalleeStartsWork.Analyze(c, ((IObjectCreationOperation)c.Operation).Constructor);
                            }
                        },
                        OperationKind.Invocation,
                        OperationKind.ObjectCreation);
                });
            });
        }

        /// <summary>
        /// The blocks name <c>StartActivity</c>, <c>StartActiveSpan</c> or <c>Start</c>: one lookup in the file's shared
        /// <see cref="NameIndex"/> (built once per file for every rule) instead of a token walk of each body per rule.
        /// </summary>
        internal static bool StartsActivity(ImmutableArray<IOperation> blocks, CancellationToken cancellationToken = default) =>
            NameIndex.Any(blocks, Names.StartActivity | Names.StartActiveSpan | Names.Start, cancellationToken);

        private static void Analyze(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (!AnalyzeStartedWork(context, invocation, types))
            {
                CTX204CalleeStartsWork.Analyze(context, invocation.TargetMethod);
            }
        }

        /// <summary>The work this call itself starts; true when it is reported (or is work this rule judges here).</summary>
        private static bool AnalyzeStartedWork(OperationAnalysisContext context, IInvocationOperation invocation, KnownTypes types)
        {
            var kind = Classify(invocation, types);
            if (kind == WorkKind.None)
            {
                return false;
            }

            // Most task-returning calls are awaited, returned or passed on: observed whatever the activity, so the
            // live-activity search (a walk of the function, and a lifetime analysis per started activity) is skipped.
            if (kind == WorkKind.Task && TaskObservation(invocation, out _, out _) == Observation.Observed)
            {
                return false;
            }

            var graphs = new FlowGraphSource(context);
            var live = LiveActivity.At(invocation, graphs);
            if (live is null || !live.EndsInFunction(graphs) || FlowOperations.SuppressFlowRegion(invocation) is not null)
            {
                return true;
            }

            var outlives = kind switch
            {
                WorkKind.Task => !TaskIsObserved(invocation, live),
                WorkKind.Thread => !ThreadIsJoined(invocation, live),
                _ => true,
            };

            if (outlives)
            {
                var location = invocation.Syntax is InvocationExpressionSyntax syntax ? syntax.Expression.GetLocation() : invocation.Syntax.GetLocation();
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX204FireAndForgetOutlivesSpan, location, live.Name));
            }

            return true;
        }

        internal enum WorkKind
        {
            None,
            Task,
            Queue,
            Thread,
        }

        internal static WorkKind Classify(IInvocationOperation invocation, KnownTypes types)
        {
            var method = invocation.TargetMethod;
            switch (method.Name)
            {
                case "QueueUserWorkItem" when method.IsStatic && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.ThreadPool):
                    return WorkKind.Queue;
                case "Start" when !method.IsStatic && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Thread):
                    return WorkKind.Thread;
                case "ConfigureAwait" or "ContinueWith":
                    // The task they wrap is judged at the inner call.
                    return WorkKind.None;
            }

            // The runtime's detached helper is the fix: it neither captures nor parents on the live activity.
            if (method.Name == "Run" && FlowOperations.IsType(method.ContainingType, "ContextAnalyzers.Runtime", "DetachedWork"))
            {
                return WorkKind.None;
            }

            // The call's type is its return type, already bound; most calls return neither a task nor a value task, and a
            // name comparison says so without the symbol comparisons.
            var returnType = invocation.Type?.OriginalDefinition;
            if (returnType is null
                || returnType.Name is not ("Task" or "ValueTask")
                || (!SymbolEqualityComparer.Default.Equals(returnType, types.Task)
                && !SymbolEqualityComparer.Default.Equals(returnType, types.TaskOfT)
                && !SymbolEqualityComparer.Default.Equals(returnType, types.ValueTask)
                && !SymbolEqualityComparer.Default.Equals(returnType, types.ValueTaskOfT)))
            {
                return WorkKind.None;
            }

            // Task.Run / StartNew always start work; other task-returning calls only when their task is dropped
            // (Task.FromResult, Task.CompletedTask-like factories and WhenAll'ed tasks are judged by what consumes them).
            if ((method.Name == "Run" && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Task))
                || (method.Name == "StartNew" && method.ContainingType?.Name == "TaskFactory"))
            {
                return WorkKind.Task;
            }

            return method.Name is "FromResult" or "FromException" or "FromCanceled" or "Delay" or "Yield" ? WorkKind.None : WorkKind.Task;
        }

        /// <summary>Awaited, returned, passed on, waited on, or stored in a local that is observed before the activity ends.</summary>
        internal static bool TaskIsObserved(IOperation task, LiveActivity live) => TaskObservation(task, out var store, out var local) switch
        {
            Observation.Observed => true,
            Observation.Dropped => false,
            _ => LocalIsObserved(store!, local!, live),
        };

        internal enum Observation
        {
            Observed,
            Dropped,
            DependsOnLocal,
        }

        /// <summary>
        /// What the consumer of <paramref name="task"/> does with it, decided without the live activity: observed, dropped,
        /// or stored in <paramref name="local"/> (by <paramref name="store"/>), which is observed only if it is read before
        /// the activity ends.
        /// </summary>
        private static Observation TaskObservation(IOperation task, out IOperation? store, out ILocalSymbol? local)
        {
            store = null;
            local = null;
            var value = task;
            while (true)
            {
                var parent = value.Parent;
                switch (parent)
                {
                    case IConversionOperation:
                    case IParenthesizedOperation:
                        value = parent;
                        continue;
                    case IInvocationOperation { TargetMethod.Name: "ConfigureAwait" or "ContinueWith" } chained when chained.Instance == value:
                        value = parent;
                        continue;
                    case IAwaitOperation:
                    case IReturnOperation:
                    case IArgumentOperation:
                    case IInvocationOperation:
                    case IPropertyReferenceOperation:
                        return Observation.Observed;
                    case IExpressionStatementOperation:
                        return Observation.Dropped;
                    case ISimpleAssignmentOperation assignment when assignment.Value == value:
                        switch (assignment.Target)
                        {
                            case IDiscardOperation:
                                return Observation.Dropped;
                            case ILocalReferenceOperation target:
                                store = assignment;
                                local = target.Local;
                                return Observation.DependsOnLocal;
                            case IFieldReferenceOperation or IPropertyReferenceOperation:
                                return Observation.Dropped;
                            default:
                                return Observation.Observed;
                        }

                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        store = declarator;
                        local = declarator.Symbol;
                        return Observation.DependsOnLocal;
                    default:
                        return Observation.Observed;
                }
            }
        }

        private static bool LocalIsObserved(IOperation store, ILocalSymbol local, LiveActivity live)
        {
            var function = FlowOperations.EnclosingFunction(store);
            if (function is null)
            {
                return true;
            }

            var after = store.Syntax.Span.End;
            foreach (var operation in FlowOperations.AllOperations(function))
            {
                if (operation is ILocalReferenceOperation reference
                    && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                    && reference.Syntax.SpanStart >= after
                    && reference.Syntax.SpanStart < live.LiveEnd)
                {
                    // Any read other than overwriting the local counts: precision before recall.
                    if (!(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool ThreadIsJoined(IInvocationOperation start, LiveActivity live)
        {
            if (FlowOperations.SkipConversions(start.Instance) is not ILocalReferenceOperation thread || FlowOperations.EnclosingFunction(start) is not { } function)
            {
                return false;
            }

            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Join" } join
                    && join.Syntax.SpanStart > start.Syntax.Span.End
                    && join.Syntax.SpanStart < live.LiveEnd
                    && FlowOperations.IsLocal(join.Instance, thread.Local))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
