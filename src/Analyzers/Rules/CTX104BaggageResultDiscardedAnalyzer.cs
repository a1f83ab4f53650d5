using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX104: an instance <c>Baggage.SetBaggage/RemoveBaggage/ClearBaggage</c> call used as a statement: Baggage is
    /// immutable, so the call changes nothing. An explicit discard (<c>_ = ...</c>) is taken as deliberate and stays silent.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX104BaggageResultDiscardedAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            ImmutableArray.Create(Descriptors.CTX104BaggageResultDiscarded);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (types.Baggage is null)
                {
                    return;
                }

                start.RegisterOperationAction(c => AnalyzeStatement(c, types.Baggage), OperationKind.ExpressionStatement);
            });
        }

        private static void AnalyzeStatement(OperationAnalysisContext context, INamedTypeSymbol baggage)
        {
            var operation = ((IExpressionStatementOperation)context.Operation).Operation;
            if (operation is IConditionalAccessOperation conditional)
            {
                operation = conditional.WhenNotNull;
            }

            if (operation is IInvocationOperation { TargetMethod: { IsStatic: false } method } invocation
                && method.Name is "SetBaggage" or "RemoveBaggage" or "ClearBaggage"
                && SymbolEqualityComparer.Default.Equals(method.ContainingType, baggage))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX104BaggageResultDiscarded, invocation.Syntax.GetLocation(), method.Name));
            }
        }
    }
}
