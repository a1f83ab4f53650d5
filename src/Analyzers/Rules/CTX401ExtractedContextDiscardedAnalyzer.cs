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
    /// a context passed to another method, returned or stored in a field is assumed used. CTX402's walk and CTX403's
    /// check are in the files named after them; the operation helpers are in <c>PropagationWiring.cs</c>.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed partial class CTX401ExtractedContextDiscardedAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.CTX401ExtractedContextDiscarded,
            Descriptors.CTX401ExtractedContextNeverUsed,
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

            if (PropagationWiring.IsInsidePropagator(context.ContainingSymbol, types))
            {
                return;
            }

            CheckIgnoresCarrier(context, invocation);

            // CTX401: thrown away.
            var parent = PropagationWiring.ParentSkippingConversions(invocation);
            if (parent is IExpressionStatementOperation
                || parent is ISimpleAssignmentOperation { Target: IDiscardOperation })
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX401ExtractedContextDiscarded, invocation.Syntax.GetLocation()));
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

            var reported = ReportStartsWithoutExtractedParent(context, invocation, types, local, root, use);

            if (!reported && !use.ReadsActivityContext && !use.ReadsBaggage)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX401ExtractedContextNeverUsed, invocation.Syntax.GetLocation(), local.Name));
            }
        }
    }
}
