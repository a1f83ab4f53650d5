using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX401, CTX402 and CTX403: what happens to the result of <c>TextMapPropagator.Extract</c> inside one method.
    /// They share one analysis: every <c>Extract</c> call (a cheap name check first) is followed to the local it is
    /// stored in, and that local's uses are classified within the same body. No flow graph, no interprocedural step:
    /// a context passed to another method, returned or stored in a field is assumed used.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX401ExtractedContextDiscardedAnalyzer : DiagnosticAnalyzer
    {
        internal const string KindProperty = "Kind";
        internal const string ParentKind = "Parent";
        internal const string BaggageKind = "Baggage";
        internal const string LocalProperty = "Local";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.CTX401ExtractedContextDiscarded,
            Descriptors.CTX402ActivityStartedWithoutExtractedParent,
            Descriptors.CTX403ExtractIgnoresCarrier);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (types.TextMapPropagator is null || types.PropagationContext is null)
                {
                    return;
                }

                // Only bodies that name Extract get a callback per call (a token scan per file, no binding).
                NameIndex.RegisterWhereNamed(start, Names.Extract, c => AnalyzeInvocation(c, types), OperationKind.Invocation);
            });
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (invocation.TargetMethod.Name != "Extract" || !PropagationWiring.IsPropagatorCall(invocation.TargetMethod, "Extract", types))
            {
                return;
            }

            var insidePropagator = PropagationWiring.IsInsidePropagator(context.ContainingSymbol, types);

            // CTX403: a first argument that is not default may be returned as is, carrier unread.
            var first = PropagationWiring.Argument(invocation, 0);
            if (!insidePropagator && first is not null && !first.IsImplicit && PropagationWiring.Unwrap(first.Value) is not IInvalidOperation && !PropagationWiring.IsDefaultValue(first.Value))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX403ExtractIgnoresCarrier, PropagationWiring.Unwrap(first.Value).Syntax.GetLocation()));
            }

            if (insidePropagator)
            {
                return;
            }

            // CTX401: thrown away.
            var parent = PropagationWiring.ParentSkippingConversions(invocation);
            if (parent is IExpressionStatementOperation
                || parent is ISimpleAssignmentOperation { Target: IDiscardOperation })
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX401ExtractedContextDiscarded, invocation.Syntax.GetLocation(), "thrown away"));
                return;
            }

            var local = PropagationWiring.StoredInLocal(invocation);
            if (local is null)
            {
                return;
            }

            var root = PropagationWiring.ScopeRoot(invocation);
            var use = PropagationWiring.ClassifyLocal(root, local);
            if (use.Escapes)
            {
                return;
            }

            var reported = false;
            var extractEnd = invocation.Syntax.Span.End;
            IInvocationOperation? firstStart = null;
            IOperation? firstAmbientRead = null;
            // One pre-order walk of the body that holds the Extract, not descending into nested lambdas and local
            // functions (their operations belong to another body), in the order of IOperation.Descendants().
            var stack = new Stack<IOperation>();
            PushChildren(stack, root);
            while (stack.Count > 0 && ((!use.ReadsActivityContext && firstStart is null) || (!use.ReadsBaggage && firstAmbientRead is null)))
            {
                var operation = stack.Pop();
                if (operation is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    PushChildren(stack, operation);
                }

                if (operation.Syntax.SpanStart < extractEnd)
                {
                    continue;
                }

                if (!use.ReadsActivityContext && firstStart is null && operation is IInvocationOperation call
                    && PropagationWiring.IsActivityStartName(call.TargetMethod.Name))
                {
                    var state = PropagationWiring.GetParentState(call, types, out _);
                    if (state == PropagationWiring.ParentState.Omitted || state == PropagationWiring.ParentState.ExplicitDefault)
                    {
                        firstStart = call;
                    }
                }
                else if (!use.ReadsBaggage && firstAmbientRead is null && PropagationWiring.IsAmbientBaggageRead(operation, types))
                {
                    firstAmbientRead = operation;
                }
            }

            if (firstStart is not null)
            {
                var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, ParentKind).Add(LocalProperty, local.Name);
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CTX402ActivityStartedWithoutExtractedParent,
                    firstStart.Syntax.GetLocation(),
                    properties,
                    MemberName(firstStart),
                    local.Name));
                reported = true;
            }

            if (firstAmbientRead is not null)
            {
                var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, BaggageKind).Add(LocalProperty, local.Name);
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CTX402ActivityStartedWithoutExtractedParent,
                    firstAmbientRead.Syntax.GetLocation(),
                    properties,
                    MemberName(firstAmbientRead),
                    local.Name));
                reported = true;
            }

            if (!reported && !use.ReadsActivityContext && !use.ReadsBaggage)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX401ExtractedContextDiscarded, invocation.Syntax.GetLocation(), "stored in '" + local.Name + "' and never used"));
            }
        }

        private static void PushChildren(Stack<IOperation> stack, IOperation operation)
        {
            foreach (var child in operation.ChildOperations.Reverse())
            {
                stack.Push(child);
            }
        }

        /// <summary><c>Type.Member</c> of the call or property read, for the message.</summary>
        private static string MemberName(IOperation operation) => operation switch
        {
            IInvocationOperation call => call.TargetMethod.ContainingType?.Name + "." + call.TargetMethod.Name,
            IPropertyReferenceOperation property => property.Property.ContainingType?.Name + "." + property.Property.Name,
            _ => operation.Syntax.ToString(),
        };
    }
}
