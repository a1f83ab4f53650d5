using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX103: <c>Activity.Current.Stop()/Dispose()</c>, <c>Tracer.CurrentSpan.End()/Dispose()</c> (directly, through
    /// <c>?.</c>, or through a local that holds nothing but that value) end whatever happens to be current.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX103SpanEndedByNonOwnerAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            ImmutableArray.Create(Descriptors.CTX103SpanEndedByNonOwner);

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

                // The ended value is Activity.Current or Tracer.CurrentSpan read in the same body (directly or through a
                // local of that body): bodies that do not name Current/CurrentSpan and an end method get no callback.
                Action<OperationAnalysisContext> analyze = c => AnalyzeInvocation(c, types);
                start.RegisterOperationBlockStartAction(block =>
                {
                    var names = NameIndex.In(block.OperationBlocks, block.CancellationToken);
                    if ((names & (Names.Current | Names.CurrentSpan)) != Names.None && (names & Names.EndNames) != Names.None)
                    {
                        block.RegisterOperationAction(analyze, OperationKind.Invocation);
                    }
                });
            });
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            if (method.Name is not ("Stop" or "Dispose" or "End") || method.IsStatic || invocation.Instance is null)
            {
                return;
            }

            var receiver = Receiver(invocation);
            if (receiver is ILocalReferenceOperation local)
            {
                // Cheap checks before any walk: an Activity/TelemetrySpan local initialized from '...Current...'.
                var localType = local.Local.Type;
                if (!(SymbolEqualityComparer.Default.Equals(localType, types.Activity) || SymbolEqualityComparer.Default.Equals(localType, types.TelemetrySpan))
                    || !IsInitializedFromCurrent(local.Local, context.CancellationToken))
                {
                    return;
                }

                receiver = SoleValueOf(local.Local, invocation, context);
            }

            if (receiver is IPropertyReferenceOperation { Property: { IsStatic: true } property }
                && (property.Name == "Current" && types.Activity is not null && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Activity)
                    || property.Name == "CurrentSpan" && types.Tracer is not null && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Tracer)))
            {
                IOperation reported = invocation;
                while (reported.Parent is IConditionalAccessOperation conditional && conditional.WhenNotNull == reported)
                {
                    reported = conditional;
                }

                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CTX103SpanEndedByNonOwner,
                    reported.Syntax.GetLocation(),
                    property.ContainingType.Name + "." + property.Name + "." + method.Name + "()"));
            }
        }

        private static IOperation? Receiver(IInvocationOperation invocation)
        {
            var instance = SkipConversions(invocation.Instance);
            if (instance is IConditionalAccessInstanceOperation)
            {
                for (var parent = invocation.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation conditional)
                    {
                        return SkipConversions(conditional.Operation);
                    }
                }
            }

            return instance;
        }

        private static bool IsInitializedFromCurrent(ILocalSymbol local, System.Threading.CancellationToken cancellationToken)
        {
            if (local.DeclaringSyntaxReferences.Length != 1
                || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } value })
            {
                return false;
            }

            while (value is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang)
            {
                value = bang.Operand;
            }

            while (value is ParenthesizedExpressionSyntax parenthesized)
            {
                value = parenthesized.Expression;
            }

            return value is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current" or "CurrentSpan" };
        }

        /// <summary>The initializer of a local that is never assigned again in the method, else null.</summary>
        private static IOperation? SoleValueOf(ILocalSymbol local, IOperation use, OperationAnalysisContext context)
        {
            IOperation root = use;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            IOperation? initializer = null;
            foreach (var operation in root.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                        initializer = declarator.Initializer?.Value;
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } when SymbolEqualityComparer.Default.Equals(target.Local, local):
                    case IArgumentOperation { Parameter.RefKind: not RefKind.None, Value: ILocalReferenceOperation argument } when SymbolEqualityComparer.Default.Equals(argument.Local, local):
                    case ICompoundAssignmentOperation { Target: ILocalReferenceOperation compound } when SymbolEqualityComparer.Default.Equals(compound.Local, local):
                        return null;
                }
            }

            context.CancellationToken.ThrowIfCancellationRequested();
            return SkipConversions(initializer);
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
