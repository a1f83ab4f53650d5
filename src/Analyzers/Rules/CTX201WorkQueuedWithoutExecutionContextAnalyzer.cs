using System.Collections.Generic;
using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX201: <c>UnsafeQueueUserWorkItem</c>, <c>UnsafeRegisterWaitForSingleObject</c>, <c>Thread.UnsafeStart</c>,
    /// <c>CancellationToken.UnsafeRegister</c>, and work started inside an <c>ExecutionContext.SuppressFlow()</c> region,
    /// when (a) the callback reads inherited context, (b) an activity started in the method is live, or (c) the callback
    /// runs a delegate supplied by the method's caller. Infrastructure code whose callback touches no context is silent.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX201WorkQueuedWithoutExecutionContextAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.CTX201WorkQueuedWithoutExecutionContext,
            Descriptors.CTX201LiveActivityHandedOff,
            Descriptors.CTX201CallerDelegate,
            Descriptors.CTX201StoredCallerDelegate,
            Descriptors.CTX201SuppressedReadsContext,
            Descriptors.CTX201SuppressedLiveActivity,
            Descriptors.CTX201SuppressedCallerDelegate);

        /// <summary>Why handing the work off without the context is a bug; each has its sentence.</summary>
        private enum Why
        {
            ReadsContext,
            LiveActivity,
            CallerDelegate,
        }

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.UsesTelemetry || types.ExecutionContext is null)
                {
                    return;
                }

                // Only bodies that name an unsafe hop or SuppressFlow get a callback per call (a text scan per file).
                NameIndex.RegisterWhereNamed(
                    start,
                    Names.UnsafeQueueUserWorkItem | Names.UnsafeRegisterWaitForSingleObject | Names.UnsafeStart | Names.UnsafeRegister | Names.SuppressFlow,
                    Analyze,
                    OperationKind.Invocation);
            });
        }

        private static void Analyze(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            switch (method.Name)
            {
                case "UnsafeQueueUserWorkItem":
                case "UnsafeRegisterWaitForSingleObject":
                    if (method.IsStatic && FlowOperations.IsType(method.ContainingType, "System.Threading", "ThreadPool"))
                    {
                        AnalyzeUnsafe(context, invocation, "ThreadPool." + method.Name, Argument(invocation, method.Name == "UnsafeQueueUserWorkItem" ? 0 : 1));
                    }

                    break;
                case "UnsafeStart":
                    if (FlowOperations.IsType(method.ContainingType, "System.Threading", "Thread"))
                    {
                        AnalyzeUnsafe(context, invocation, "Thread.UnsafeStart", ThreadStartDelegate(invocation.Instance));
                    }

                    break;
                case "UnsafeRegister":
                    if (FlowOperations.IsType(method.ContainingType, "System.Threading", "CancellationToken"))
                    {
                        AnalyzeUnsafe(context, invocation, "CancellationToken.UnsafeRegister", Argument(invocation, 0));
                    }

                    break;
                case "SuppressFlow":
                    if (method.IsStatic && FlowOperations.IsType(method.ContainingType, "System.Threading", "ExecutionContext"))
                    {
                        AnalyzeRegion(context, invocation);
                    }

                    break;
            }
        }

        private static void AnalyzeUnsafe(OperationAnalysisContext context, IInvocationOperation invocation, string api, IOperation? callback)
        {
            if (Reason(invocation, invocation, callback, new FlowGraphSource(context)) is { } reason)
            {
                var descriptor = reason.Why switch
                {
                    Why.ReadsContext => Descriptors.CTX201WorkQueuedWithoutExecutionContext,
                    Why.LiveActivity => Descriptors.CTX201LiveActivityHandedOff,
                    _ => Descriptors.CTX201CallerDelegate,
                };
                context.ReportDiagnostic(Diagnostic.Create(descriptor, NameLocation(invocation), MessageArguments(api, reason.Activity)));
                return;
            }

            // (c) through an object: the caller's delegate stored in the work item or the state, invoked on the hop.
            if (!IsSnapshotWrapped(callback) && CTX201StoredCallerDelegate.Find(invocation, context.CancellationToken) is { } stored)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CTX201StoredCallerDelegate,
                    NameLocation(invocation),
                    new[] { stored.Invocation },
                    api,
                    stored.Member));
            }
        }

        private static void AnalyzeRegion(OperationAnalysisContext context, IInvocationOperation suppress)
        {
            var function = FlowOperations.EnclosingFunction(suppress);
            if (function is null)
            {
                return;
            }

            foreach (var work in RegionWork(suppress, function, new FlowGraphSource(context)))
            {
                // A timer created under suppressed flow is the non-capturing timer (CTX205's remedy): its ticks must not
                // inherit the creator's context, whoever supplied the callback, so a caller's delegate is no reason here.
                var isTimer = work.Operation is IObjectCreationOperation || work.Starter == "System.Timers.Timer.Start";
                if (Reason(suppress, work.Operation, work.Callback, new FlowGraphSource(context), callerDelegateIsAReason: !isTimer) is { } reason)
                {
                    var descriptor = reason.Why switch
                    {
                        Why.ReadsContext => Descriptors.CTX201SuppressedReadsContext,
                        Why.LiveActivity => Descriptors.CTX201SuppressedLiveActivity,
                        _ => Descriptors.CTX201SuppressedCallerDelegate,
                    };
                    context.ReportDiagnostic(Diagnostic.Create(descriptor, NameLocation(suppress), MessageArguments(work.Starter, reason.Activity)));
                    return;
                }
            }
        }

        /// <summary>
        /// The work started in the region of <paramref name="suppress"/> (in <paramref name="function"/>, not in nested
        /// functions): the starting call, its name for the message, and its callback (null for a <c>System.Timers.Timer</c>).
        /// Shared with the code fix, which wraps these callbacks.
        /// </summary>
        internal static IEnumerable<(IOperation Operation, string Starter, IOperation? Callback)> RegionWork(IInvocationOperation suppress, IOperation function, FlowGraphSource graphs)
        {
            var start = suppress.Syntax.Span.End;
            var end = FlowOperations.SuppressFlowRegionEnd(suppress, function);
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                var position = operation.Syntax.SpanStart;
                if (position < start)
                {
                    continue;
                }

                // Before the first restore by position the work runs suppressed; after it, the graph decides.
                var starter = WorkStarter(operation, out var callback);
                if (starter is not null && (position < end || FlowOperations.MayRunSuppressed(suppress, operation, function, graphs)))
                {
                    yield return (operation, starter, callback);
                }
            }
        }

        /// <summary>
        /// The callback already runs under a <c>ContextAnalyzers.Runtime.ContextSnapshot</c>: <c>snapshot.Wrap(cb)</c>,
        /// <c>snapshot.Wrap(cb).Invoke</c>, or a lambda whose whole body is <c>snapshot.Run(cb)</c>/<c>RunAsync(cb)</c>
        /// (the shapes the CTX201 fixes write).
        /// </summary>
        internal static bool IsSnapshotWrapped(IOperation? callback)
        {
            var target = FlowOperations.SkipConversions(callback);
            while (target is IDelegateCreationOperation creation)
            {
                target = FlowOperations.SkipConversions(creation.Target);
            }

            if (target is IMethodReferenceOperation { Method.Name: "Invoke" } reference)
            {
                target = FlowOperations.SkipConversions(reference.Instance);
            }

            if (target is IAnonymousFunctionOperation { Body.Operations: { Length: 1 } operations })
            {
                target = operations[0] switch
                {
                    IReturnOperation ret => FlowOperations.SkipConversions(ret.ReturnedValue),
                    IExpressionStatementOperation statement => statement.Operation,
                    _ => null,
                };
                return target is IInvocationOperation { TargetMethod.Name: "Run" or "RunAsync" } run && IsSnapshot(run.TargetMethod.ContainingType);
            }

            return target is IInvocationOperation { TargetMethod.Name: "Wrap" } wrap && IsSnapshot(wrap.TargetMethod.ContainingType);
        }

        private static bool IsSnapshot(ITypeSymbol? type) => FlowOperations.IsType(type, "ContextAnalyzers.Runtime", "ContextSnapshot");

        /// <summary>A call that would flow the context were flow not suppressed, and its callback.</summary>
        private static string? WorkStarter(IOperation operation, out IOperation? callback)
        {
            callback = null;
            switch (operation)
            {
                case IInvocationOperation invocation:
                    var method = invocation.TargetMethod;
                    var type = method.ContainingType;
                    switch (method.Name)
                    {
                        case "Run" when method.IsStatic && FlowOperations.IsType(type, "System.Threading.Tasks", "Task"):
                            callback = Argument(invocation, 0);
                            return "Task.Run";
                        case "StartNew" when FlowOperations.IsType(type, "System.Threading.Tasks", "TaskFactory"):
                            callback = Argument(invocation, 0);
                            return "TaskFactory.StartNew";
                        case "QueueUserWorkItem" when FlowOperations.IsType(type, "System.Threading", "ThreadPool"):
                            callback = Argument(invocation, 0);
                            return "ThreadPool.QueueUserWorkItem";
                        case "Register" when FlowOperations.IsType(type, "System.Threading", "CancellationToken"):
                            callback = Argument(invocation, 0);
                            return "CancellationToken.Register";
                        case "Start" when !method.IsStatic && FlowOperations.IsType(type, "System.Threading", "Thread"):
                            callback = ThreadStartDelegate(invocation.Instance);
                            return "Thread.Start";
                        case "Start" when !method.IsStatic && FlowOperations.IsType(type, "System.Timers", "Timer"):
                            return "System.Timers.Timer.Start";
                    }

                    return null;
                case IObjectCreationOperation creation when FlowOperations.IsType(creation.Type, "System.Threading", "Timer"):
                    callback = Argument(creation, 0);
                    return "new Timer";
                default:
                    return null;
            }
        }

        /// <summary>The message arguments: the starting API, and the live activity when the sentence names one.</summary>
        private static object[] MessageArguments(string starter, string? activity) => activity is null ? new object[] { starter } : new object[] { starter, activity };

        /// <summary>
        /// Why handing <paramref name="callback"/> off without the context is a bug (with the live activity's name for
        /// <see cref="Why.LiveActivity"/>), or null when it is not.
        /// </summary>
        private static (Why Why, string? Activity)? Reason(IOperation reportAt, IOperation call, IOperation? callback, in FlowGraphSource graphs, bool callerDelegateIsAReason = true)
        {
            if (IsSnapshotWrapped(callback))
            {
                return null; // the work runs under the captured OpenTelemetry context (the CTX201 fixes' shape)
            }

            var target = FlowOperations.SkipConversions(callback);
            while (target is IDelegateCreationOperation creation)
            {
                target = FlowOperations.SkipConversions(creation.Target);
            }

            if (target is IAnonymousFunctionOperation lambda)
            {
                foreach (var operation in FlowOperations.AllOperations(lambda.Body))
                {
                    if (FlowOperations.ReadsAmbientContext(operation))
                    {
                        return (Why.ReadsContext, null);
                    }
                }
            }

            var live = LiveActivity.At(reportAt, graphs);
            if (live is not null)
            {
                return (Why.LiveActivity, live.Name);
            }

            if (callerDelegateIsAReason && RunsCallerDelegate(call, target))
            {
                return (Why.CallerDelegate, null);
            }

            return null;
        }

        /// <summary>(c): the callback is, invokes, or is handed as state a delegate parameter of an enclosing function.</summary>
        private static bool RunsCallerDelegate(IOperation call, IOperation? target)
        {
            if (IsOuterDelegateParameter(target, target))
            {
                return true;
            }

            if (target is IAnonymousFunctionOperation lambda)
            {
                foreach (var operation in FlowOperations.AllOperations(lambda.Body))
                {
                    if (operation is IInvocationOperation { TargetMethod.MethodKind: MethodKind.DelegateInvoke } invoke
                        && IsOuterDelegateParameter(invoke.Instance, lambda))
                    {
                        return true;
                    }
                }
            }

            var arguments = call switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };

            foreach (var argument in arguments)
            {
                var value = FlowOperations.SkipConversions(argument.Value);
                if (value != target && IsOuterDelegateParameter(value, null))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsOuterDelegateParameter(IOperation? operation, IOperation? callback)
        {
            if (FlowOperations.SkipConversions(operation) is not IParameterReferenceOperation { Parameter: { Type.TypeKind: TypeKind.Delegate } parameter })
            {
                return false;
            }

            if (callback is null)
            {
                return true;
            }

            foreach (var location in parameter.Locations)
            {
                if (callback.Syntax.Span.Contains(location.SourceSpan))
                {
                    return false;
                }
            }

            return true;
        }

        private static IOperation? Argument(IOperation call, int ordinal)
        {
            var arguments = call switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };

            foreach (var argument in arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return argument.Value;
                }
            }

            return null;
        }

        /// <summary>The start delegate of <c>new Thread(d)</c>, directly or through a local initialized with it.</summary>
        private static IOperation? ThreadStartDelegate(IOperation? thread)
        {
            thread = FlowOperations.SkipConversions(thread);
            if (thread is IObjectCreationOperation creation)
            {
                return Argument(creation, 0);
            }

            if (thread is ILocalReferenceOperation local && FlowOperations.EnclosingFunction(thread) is { } function)
            {
                foreach (var operation in FlowOperations.OwnOperations(function))
                {
                    if (operation is IVariableDeclaratorOperation declarator
                        && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local.Local)
                        && FlowOperations.SkipConversions(declarator.Initializer?.Value) is IObjectCreationOperation initializer)
                    {
                        return Argument(initializer, 0);
                    }
                }
            }

            return null;
        }

        private static Location NameLocation(IInvocationOperation invocation)
            => invocation.Syntax is InvocationExpressionSyntax syntax ? syntax.Expression.GetLocation() : invocation.Syntax.GetLocation();
    }
}
