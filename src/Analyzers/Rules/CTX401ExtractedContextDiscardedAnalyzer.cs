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

                start.RegisterOperationAction(c => AnalyzeInvocation(c, types), OperationKind.Invocation);
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
            if (!insidePropagator && first is not null && !first.IsImplicit && first.Value is not IInvalidOperation && !PropagationWiring.IsDefaultValue(first.Value))
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
            foreach (var operation in root.Descendants())
            {
                if (operation.Syntax.SpanStart < extractEnd || !ReferenceEquals(PropagationWiring.ScopeRoot(operation), root))
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
                    "The activity is started without the parent context",
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
                    "Ambient baggage is read here without making current the baggage",
                    local.Name));
                reported = true;
            }

            if (!reported && !use.ReadsActivityContext && !use.ReadsBaggage)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX401ExtractedContextDiscarded, invocation.Syntax.GetLocation(), "stored in '" + local.Name + "' and never used"));
            }
        }
    }
}
