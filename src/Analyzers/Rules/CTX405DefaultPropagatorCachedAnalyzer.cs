using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX405: <c>Propagators.DefaultTextMapPropagator</c> stored by a static field or property initializer, or by an
    /// assignment in a static constructor. Only initializers and assignments whose value is that property are looked at.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX405DefaultPropagatorCachedAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX405DefaultPropagatorCached);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (types.Propagators is null)
                {
                    return;
                }

                start.RegisterOperationAction(
                    c =>
                    {
                        var initializer = (IFieldInitializerOperation)c.Operation;
                        if (initializer.InitializedFields.Length == 1 && initializer.InitializedFields[0].IsStatic && IsDefaultPropagator(initializer.Value, types, out var read))
                        {
                            Report(c, read, initializer.InitializedFields[0]);
                        }
                    },
                    OperationKind.FieldInitializer);
                start.RegisterOperationAction(
                    c =>
                    {
                        var initializer = (IPropertyInitializerOperation)c.Operation;
                        if (initializer.InitializedProperties.Length == 1 && initializer.InitializedProperties[0].IsStatic && IsDefaultPropagator(initializer.Value, types, out var read))
                        {
                            Report(c, read, initializer.InitializedProperties[0]);
                        }
                    },
                    OperationKind.PropertyInitializer);
                start.RegisterOperationAction(
                    c =>
                    {
                        var assignment = (ISimpleAssignmentOperation)c.Operation;
                        if (c.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.StaticConstructor }
                            && IsDefaultPropagator(assignment.Value, types, out var read))
                        {
                            var target = assignment.Target switch
                            {
                                IFieldReferenceOperation f when f.Field.IsStatic => (ISymbol)f.Field,
                                IPropertyReferenceOperation p when p.Property.IsStatic => p.Property,
                                _ => null,
                            };
                            if (target is not null)
                            {
                                Report(c, read, target);
                            }
                        }
                    },
                    OperationKind.SimpleAssignment);
            });
        }

        private static bool IsDefaultPropagator(IOperation value, KnownTypes types, out IOperation read)
        {
            read = PropagationWiring.Unwrap(value);
            return read is IPropertyReferenceOperation { Property: { Name: "DefaultTextMapPropagator", IsStatic: true } property }
                && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Propagators);
        }

        private static void Report(OperationAnalysisContext context, IOperation read, ISymbol target)
            => context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX405DefaultPropagatorCached, read.Syntax.GetLocation(), target.Name));
    }
}
