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
            ILocalSymbol? receiverLocal = null;
            if (receiver is ILocalReferenceOperation local)
            {
                // Cheap checks before any walk: an Activity/TelemetrySpan local initialized from '...Current...'.
                var localType = local.Local.Type;
                if (!(SymbolEqualityComparer.Default.Equals(localType, types.Activity) || SymbolEqualityComparer.Default.Equals(localType, types.TelemetrySpan))
                    || !IsInitializedFromCurrent(local.Local, context.CancellationToken))
                {
                    return;
                }

                receiverLocal = local.Local;
                receiver = SoleValueOf(local.Local, invocation, context);
            }

            if (receiver is IPropertyReferenceOperation { Property: { IsStatic: true } property }
                && (property.Name == "Current" && types.Activity is not null && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Activity)
                    || property.Name == "CurrentSpan" && types.Tracer is not null && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Tracer)))
            {
                if (IsCheckedAsOwn(invocation, receiverLocal, property))
                {
                    return; // the code checked that the current activity is the one it started: owner code
                }

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
            if (local.DeclaringSyntaxReferences.Length != 1)
            {
                return false;
            }

            ExpressionSyntax value;
            switch (local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken))
            {
                case VariableDeclaratorSyntax { Initializer.Value: { } initializer }:
                    value = initializer;
                    break;
                case SingleVariableDesignationSyntax designation
                    when designation.Parent is DeclarationPatternSyntax or RecursivePatternSyntax
                    && designation.Parent.Parent is IsPatternExpressionSyntax { Expression: { } tested }:
                    // if (Activity.Current is { } activity) / is Activity activity
                    value = tested;
                    break;
                default:
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
                    case IIsPatternOperation pattern when DeclaresLocal(pattern.Pattern, local):
                        initializer = pattern.Value;
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

        private static bool DeclaresLocal(IPatternOperation pattern, ILocalSymbol local)
        {
            foreach (var descendant in pattern.DescendantsAndSelf())
            {
                var declared = descendant switch
                {
                    IDeclarationPatternOperation declaration => declaration.DeclaredSymbol,
                    IRecursivePatternOperation recursive => recursive.DeclaredSymbol,
                    _ => null,
                };

                if (SymbolEqualityComparer.Default.Equals(declared, local))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Before the end call, the function compares the ended activity (the local, or the current value itself) with what
        /// this code started: its <c>OperationName</c>, <c>DisplayName</c> or <c>Source</c> against a value, or the activity
        /// against a saved one (<c>==</c>, <c>ReferenceEquals</c>, <c>Equals</c>). Instrumentation that stops its own
        /// activity from a later callback does this; stopping "whatever is current" does not.
        /// </summary>
        private static bool IsCheckedAsOwn(IInvocationOperation end, ILocalSymbol? local, IPropertySymbol current)
        {
            IOperation root = end;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            var before = end.Syntax.SpanStart;
            foreach (var operation in root.Descendants())
            {
                if (operation.Syntax.SpanStart >= before)
                {
                    continue;
                }

                switch (operation)
                {
                    // Activity.Current is { OperationName: "x" } activity
                    case IPropertySubpatternOperation { Member: IPropertyReferenceOperation { Property.Name: "OperationName" or "DisplayName" or "Source" } }
                        when operation.Parent is IRecursivePatternOperation { Parent: IIsPatternOperation tested } && IsTheEnded(tested.Value, local, current):
                        return true;
                    case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
                        if (IsIdentityCheck(binary.LeftOperand, binary.RightOperand, local, current)
                            || IsIdentityCheck(binary.RightOperand, binary.LeftOperand, local, current))
                        {
                            return true;
                        }

                        break;
                    case IInvocationOperation { TargetMethod.Name: "Equals" or "ReferenceEquals" } equals:
                        var operands = new System.Collections.Generic.List<IOperation>();
                        if (equals.Instance is not null)
                        {
                            operands.Add(equals.Instance);
                        }

                        foreach (var argument in equals.Arguments)
                        {
                            operands.Add(argument.Value);
                        }

                        if (operands.Count == 2
                            && (IsIdentityCheck(operands[0], operands[1], local, current) || IsIdentityCheck(operands[1], operands[0], local, current)))
                        {
                            return true;
                        }

                        break;
                }
            }

            return false;
        }

        private static bool IsIdentityCheck(IOperation side, IOperation other, ILocalSymbol? local, IPropertySymbol current)
        {
            side = SkipConversions(side)!;
            while (side is IConditionalAccessOperation conditional)
            {
                side = SkipConversions(conditional.WhenNotNull)!; // Activity.Current?.Source == source
            }

            if (IsNullConstant(other))
            {
                return false; // a null test says nothing about whose activity it is
            }

            // activity.OperationName == "x", activity.Source == source, activity.DisplayName == name
            if (side is IPropertyReferenceOperation { Property.Name: "OperationName" or "DisplayName" or "Source" } member)
            {
                return IsTheEnded(member.Instance, local, current);
            }

            // activity == saved: the activity compared with another reference that is not the current value again
            return IsTheEnded(side, local, current) && !IsTheEnded(other, local, current)
                && SkipConversions(other) is ILocalReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation or IParameterReferenceOperation or IInvocationOperation;
        }

        private static bool IsTheEnded(IOperation? operation, ILocalSymbol? local, IPropertySymbol current)
        {
            operation = SkipConversions(operation);
            if (operation is IConditionalAccessInstanceOperation)
            {
                for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation conditional)
                    {
                        operation = SkipConversions(conditional.Operation);
                        break;
                    }
                }
            }

            return operation switch
            {
                ILocalReferenceOperation reference => local is not null && SymbolEqualityComparer.Default.Equals(reference.Local, local),
                IPropertyReferenceOperation property => SymbolEqualityComparer.Default.Equals(property.Property, current),
                _ => false,
            };
        }

        private static bool IsNullConstant(IOperation? operation)
        {
            operation = SkipConversions(operation);
            return operation is IDefaultValueOperation || operation is not null && operation.ConstantValue is { HasValue: true, Value: null };
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
