using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX105: static <c>Baggage.SetBaggage(.., baggage)</c> / <c>RemoveBaggage(name, baggage)</c> / <c>ClearBaggage(baggage)</c>
    /// with an explicit, non-default baggage argument makes the argument's result <c>Baggage.Current</c>.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX105StaticBaggageCallReplacesCurrentAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            ImmutableArray.Create(Descriptors.CTX105StaticBaggageCallReplacesCurrent);

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

                var baggage = types.Baggage;
                NameIndex.RegisterWhereNamed(start, Names.SetBaggage | Names.RemoveBaggage | Names.ClearBaggage, c => AnalyzeInvocation(c, baggage), OperationKind.Invocation);
            });
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol baggage)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            if (!method.IsStatic || method.Name is not ("SetBaggage" or "RemoveBaggage" or "ClearBaggage")
                || !SymbolEqualityComparer.Default.Equals(method.ContainingType, baggage))
            {
                return;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.ArgumentKind == ArgumentKind.Explicit
                    && argument.Parameter is { Name: "baggage" } parameter
                    && SymbolEqualityComparer.Default.Equals(parameter.Type, baggage)
                    && !IsDefault(argument.Value))
                {
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX105StaticBaggageCallReplacesCurrent, invocation.Syntax.GetLocation(), method.Name));
                    return;
                }
            }
        }

        private static bool IsDefault(IOperation value)
        {
            while (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }

            return value is IDefaultValueOperation || value.ConstantValue is { HasValue: true, Value: null };
        }
    }
}
