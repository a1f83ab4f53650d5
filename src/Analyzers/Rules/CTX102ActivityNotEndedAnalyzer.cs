using System.Collections.Immutable;
using System.Threading;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX102: an activity or span that is started (<c>ActivitySource.StartActivity</c>, <c>Activity.Start()</c> on a new
    /// or created activity, <c>Tracer.StartActiveSpan/StartSpan/StartRootSpan</c>) must be ended on every path, exceptions
    /// included. Paths are decided by <see cref="ActivityLifetime"/> on the control-flow graph of the one method.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX102ActivityNotEndedAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Property set on the diagnostic: why it was reported (one of the <c>Reason*</c> values).</summary>
        public const string ReasonProperty = "Reason";
        public const string ReasonDiscarded = "Discarded";
        public const string ReasonPath = "Path";
        public const string ReasonException = "Exception";
        public const string ReasonOverwritten = "Overwritten";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            ImmutableArray.Create(
                Descriptors.CTX102ActivityNotEnded,
                Descriptors.CTX102ActivityNotEndedOnPath,
                Descriptors.CTX102ActivityNotEndedOnException,
                Descriptors.CTX102ActivityOverwritten,
                Descriptors.CTX102SpanDiscarded,
                Descriptors.CTX102SpanNotEndedOnPath,
                Descriptors.CTX102SpanNotEndedOnException,
                Descriptors.CTX102SpanOverwritten);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.MayUseTelemetry(start.CancellationToken) || (types.Activity is null && types.Tracer is null))
                {
                    return;
                }

                // Only bodies that name a start method get a callback per call (a token scan per file, no binding).
                NameIndex.RegisterWhereNamed(
                    start,
                    Names.StartActivity | Names.Start | Names.StartActiveSpan | Names.StartSpan | Names.StartRootSpan,
                    c => AnalyzeInvocation(c, types),
                    OperationKind.Invocation);
            });
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;

            // Cheap name test first: this runs for every call of the compilation.
            bool isSpan;
            switch (method.Name)
            {
                case "StartActivity":
                    if (types.ActivitySource is null || !SymbolEqualityComparer.Default.Equals(method.ContainingType, types.ActivitySource))
                    {
                        return;
                    }

                    isSpan = false;
                    break;
                case "Start":
                    if (types.Activity is null || method.IsStatic || method.Parameters.Length != 0
                        || !SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Activity))
                    {
                        return;
                    }

                    isSpan = false;
                    break;
                case "StartActiveSpan":
                case "StartSpan":
                case "StartRootSpan":
                    if (types.Tracer is null || !SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Tracer))
                    {
                        return;
                    }

                    isSpan = true;
                    break;
                default:
                    return;
            }

            // A DiagnosticListener observer starts the activity in a Before event and stops it in the paired After event:
            // the end is owned by another call of the same observer (the activity stays current in between).
            if (context.ContainingSymbol.ContainingType is { } observer && Flow.AmbientOwnership.IsDiagnosticObserver(observer))
            {
                return;
            }

            ILocalSymbol? local;
            IOperation value = invocation;
            if (method.Name == "Start" && TryGetReceiverLocal(invocation, out local))
            {
                // local.Start() / local?.Start(): the local holds the activity.
            }
            else
            {
                if (method.Name == "Start" && !ActivityStarts.IsFreshActivity(invocation.Instance, types))
                {
                    return; // field.Start(), parameter.Start(): someone else owns it
                }

                var consumer = FindConsumer(ref value, invocation, types, context.CancellationToken);
                switch (consumer)
                {
                    case Consumer.Discarded:
                        Report(context, invocation, isSpan ? Descriptors.CTX102SpanDiscarded : Descriptors.CTX102ActivityNotEnded, ReasonDiscarded);
                        return;
                    case Consumer.Local:
                        local = ((ILocalReferenceOperation)((ISimpleAssignmentOperation)value.Parent!).Target).Local;
                        break;
                    case Consumer.Declarator:
                        local = ((IVariableDeclaratorOperation)value.Parent!.Parent!).Symbol;
                        break;
                    default:
                        return; // using, returned, stored, passed: ownership handled elsewhere
                }
            }

            if (local is null || local.IsRef)
            {
                return;
            }

            switch (ActivityLifetime.Analyze(invocation, local, new FlowGraphSource(context)))
            {
                case LifetimeOutcome.NotEndedOnSomePath:
                    Report(context, invocation, isSpan ? Descriptors.CTX102SpanNotEndedOnPath : Descriptors.CTX102ActivityNotEndedOnPath, ReasonPath, local.Name);
                    break;
                case LifetimeOutcome.NotEndedOnException:
                    Report(context, invocation, isSpan ? Descriptors.CTX102SpanNotEndedOnException : Descriptors.CTX102ActivityNotEndedOnException, ReasonException, local.Name);
                    break;
                case LifetimeOutcome.Overwritten:
                    Report(context, invocation, isSpan ? Descriptors.CTX102SpanOverwritten : Descriptors.CTX102ActivityOverwritten, ReasonOverwritten, local.Name);
                    break;
            }
        }

        private static void Report(OperationAnalysisContext context, IInvocationOperation invocation, DiagnosticDescriptor descriptor, string reason, params object[] names)
        {
            // receiver?.Start(): report the whole conditional access, not the '.Start()' tail.
            IOperation reported = invocation;
            while (reported.Parent is IConditionalAccessOperation conditional && conditional.WhenNotNull == reported)
            {
                reported = conditional;
            }

            var properties = ImmutableDictionary<string, string?>.Empty.Add(ReasonProperty, reason);
            context.ReportDiagnostic(Diagnostic.Create(descriptor, reported.Syntax.GetLocation(), properties, names));
        }

        private static bool TryGetReceiverLocal(IInvocationOperation invocation, out ILocalSymbol? local)
        {
            var instance = SkipConversions(invocation.Instance);
            if (instance is IConditionalAccessInstanceOperation)
            {
                for (var parent = invocation.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation conditional)
                    {
                        instance = SkipConversions(conditional.Operation);
                        break;
                    }
                }
            }

            local = (instance as ILocalReferenceOperation)?.Local;
            return local is not null;
        }

        private enum Consumer
        {
            Transferred,
            Discarded,
            Local,
            Declarator,
        }

        /// <summary>
        /// Follows the started value up through conversions, conditional access and fluent calls (<c>SetTag</c> returns the
        /// same activity) to what consumes it. On return, <paramref name="value"/> is the operation whose parent consumes it.
        /// </summary>
        private static Consumer FindConsumer(ref IOperation value, IInvocationOperation start, KnownTypes types, CancellationToken cancellationToken)
        {
            while (true)
            {
                var parent = value.Parent;
                switch (parent)
                {
                    case IConversionOperation:
                    case IParenthesizedOperation:
                        value = parent;
                        continue;

                    // enabled ? source.StartActivity(..) : null, a ?? source.StartActivity(..), a switch expression whose arms
                    // are starts or null: the conditional is the started value (judged once, at its first start).
                    case IConditionalOperation conditional when conditional.Condition != value:
                    case ICoalesceOperation:
                        if (ActivityStarts.StartOf(parent, types, false, cancellationToken) != start)
                        {
                            return Consumer.Transferred;
                        }

                        value = parent;
                        continue;
                    case ISwitchExpressionArmOperation { Parent: ISwitchExpressionOperation switchExpression } arm when arm.Value == value:
                        if (ActivityStarts.StartOf(switchExpression, types, false, cancellationToken) != start)
                        {
                            return Consumer.Transferred;
                        }

                        value = switchExpression;
                        continue;
                    case IConditionalAccessOperation conditional when conditional.Operation == value:
                        if (!ContinuesSameValue(conditional.WhenNotNull))
                        {
                            return EndsOrDrops(conditional.WhenNotNull);
                        }

                        value = conditional;
                        continue;
                    case IConditionalAccessOperation conditional when conditional.WhenNotNull == value:
                        value = conditional;
                        continue;
                    case IInvocationOperation call when call.Instance == value:
                        if (!ContinuesSameValue(call))
                        {
                            return EndsOrDrops(call);
                        }

                        value = call;
                        continue;
                    case IMemberReferenceOperation member when member.Instance == value:
                        return Consumer.Discarded; // var id = source.StartActivity("x")?.Id;
                    case IExpressionStatementOperation:
                        return Consumer.Discarded;
                    case ISimpleAssignmentOperation assignment when assignment.Value == value:
                        return assignment.Target switch
                        {
                            IDiscardOperation => Consumer.Discarded,
                            ILocalReferenceOperation => Consumer.Local,
                            _ => Consumer.Transferred,
                        };
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        return IsUsingDeclaration(declarator) ? Consumer.Transferred : Consumer.Declarator;
                    default:
                        return Consumer.Transferred;
                }
            }
        }

        private static bool ContinuesSameValue(IOperation operation)
        {
            // The conditional access instance gives the receiver; a fluent call returns the same type as its receiver.
            if (operation is IInvocationOperation { Instance: { Type: { } receiverType } } call && call.Type is { } resultType)
            {
                return !ActivityLifetime.IsEndMethodName(call.TargetMethod.Name)
                    && SymbolEqualityComparer.Default.Equals(resultType.OriginalDefinition, receiverType.OriginalDefinition);
            }

            return false;
        }

        private static Consumer EndsOrDrops(IOperation operation)
        {
            if (operation is IInvocationOperation call && ActivityLifetime.IsEndMethodName(call.TargetMethod.Name))
            {
                return Consumer.Transferred; // started and ended at once: nothing left open
            }

            return operation is IInvocationOperation or IMemberReferenceOperation ? Consumer.Discarded : Consumer.Transferred;
        }

        private static bool IsUsingDeclaration(IVariableDeclaratorOperation declarator)
        {
            for (IOperation? parent = declarator.Parent; parent is not null; parent = parent.Parent)
            {
                switch (parent)
                {
                    case IVariableDeclarationOperation:
                    case IVariableDeclarationGroupOperation:
                        continue;
                    case IUsingDeclarationOperation:
                    case IUsingOperation:
                        return true;
                    default:
                        return false;
                }
            }

            return false;
        }

        private static IOperation? SkipConversions(IOperation? operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }
    }
}
