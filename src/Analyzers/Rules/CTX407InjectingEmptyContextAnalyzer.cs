using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX407: <c>Inject(default, ..)</c> or <c>Inject(new PropagationContext(default, ..), ..)</c>. Custom propagators
    /// (types deriving from TextMapPropagator) forward what they are given and are not checked.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX407InjectingEmptyContextAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Set when the baggage part is default or <c>Baggage.Current</c>: the "inject current" fix keeps the meaning.</summary>
        internal const string BaggageIsCurrentProperty = "BaggageIsCurrent";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX407InjectingEmptyContext);

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

                NameIndex.RegisterWhereNamed(start, Names.Inject, c => Analyze(c, types), OperationKind.Invocation);
            });
        }

        private static void Analyze(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (invocation.TargetMethod.Name != "Inject" || !PropagationWiring.IsPropagatorCall(invocation.TargetMethod, "Inject", types))
            {
                return;
            }

            var first = PropagationWiring.Argument(invocation, 0);
            if (first is null || first.IsImplicit || PropagationWiring.IsInsidePropagator(context.ContainingSymbol, types))
            {
                return;
            }

            var value = PropagationWiring.Unwrap(first.Value);
            bool baggageIsCurrent;
            if (PropagationWiring.IsDefaultValue(value))
            {
                baggageIsCurrent = true;
            }
            else if (value is IObjectCreationOperation creation
                && SymbolEqualityComparer.Default.Equals(creation.Type, types.PropagationContext)
                && creation.Arguments.Length == 2
                && PropagationWiring.IsDefaultValue(creation.Arguments[0].Value))
            {
                var baggage = PropagationWiring.Unwrap(creation.Arguments[1].Value);
                baggageIsCurrent = PropagationWiring.IsDefaultValue(baggage) || PropagationWiring.IsAmbientBaggageRead(baggage, types);
            }
            else
            {
                return;
            }

            var properties = baggageIsCurrent ? ImmutableDictionary<string, string?>.Empty.Add(BaggageIsCurrentProperty, "true") : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX407InjectingEmptyContext, value.Syntax.GetLocation(), properties));
        }
    }
}
