using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX406: <c>ActivitySource.StartActivity/CreateActivity</c> with an explicit default <c>parentContext</c>. Silent when
    /// the same body assigns <c>Activity.Current</c> before the call (the code manages the root itself) or extracts a
    /// remote context (CTX402 reports that case: the intended parent is the extracted one, not a root).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX406DefaultParentIsNotRootAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX406DefaultParentIsNotRoot);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.MayUseTelemetry(start.CancellationToken) || (types.ActivitySource is null || types.ActivityContext is null))
                {
                    return;
                }

                // Bodies that never name StartActivity/CreateActivity (all code without tracing) get no callback per call.
                NameIndex.RegisterWhereNamed(start, Names.StartActivity | Names.CreateActivity, c => Analyze(c, types), OperationKind.Invocation);
            });
        }

        private static void Analyze(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var name = invocation.TargetMethod.Name;
            if (name != "StartActivity" && name != "CreateActivity")
            {
                return;
            }

            if (PropagationWiring.GetParentState(invocation, types, out var parent) != PropagationWiring.ParentState.ExplicitDefault
                || parent is null
                || !SymbolEqualityComparer.Default.Equals(parent.Parameter?.Type, types.ActivityContext))
            {
                return;
            }

            var root = PropagationWiring.ScopeRoot(invocation);
            foreach (var operation in root.Descendants())
            {
                if (operation is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property } } assignment
                    && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Activity)
                    && assignment.Syntax.SpanStart < invocation.Syntax.SpanStart)
                {
                    return;
                }

                if (operation is IInvocationOperation { TargetMethod.Name: "Extract" } extract
                    && PropagationWiring.IsPropagatorCall(extract.TargetMethod, "Extract", types))
                {
                    return;
                }
            }

            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX406DefaultParentIsNotRoot, parent.Syntax.GetLocation()));
        }
    }
}
