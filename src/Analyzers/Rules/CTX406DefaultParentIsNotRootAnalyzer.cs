using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX406: <c>ActivitySource.StartActivity/CreateActivity</c> with a default <c>parentContext</c> where the code shows
    /// that a root was meant: the start is one alternative of a choice (an <c>if</c>/<c>else</c> chain, a <c>switch</c>, a
    /// conditional or switch expression) whose other alternative starts an activity with a real parent or with links.
    /// A default passed on its own is only the positional filler that reaches <c>tags:</c>, <c>links:</c> or
    /// <c>startTime:</c> and means "parent on Activity.Current", which is what it does. Silent when the same body assigns
    /// <c>Activity.Current</c> before the call (the code manages the root itself), extracts a remote context (CTX402
    /// reports that case), or the alternative is taken only when a current activity was seen to exist.
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

            if (!ChosenInsteadOfARealParent(invocation, types) || TakenOnlyWithACurrentActivity(invocation, types))
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX406DefaultParentIsNotRoot, parent.Syntax.GetLocation()));
        }

        /// <summary>
        /// The start is one alternative of a choice whose other alternative starts an activity with a real parent or links:
        /// arms of a switch expression or branches of a conditional expression (nested ones included), or the statement
        /// that holds the start directly in a branch of an <c>if</c>/<c>else</c> chain or a <c>switch</c> section, compared
        /// with the statements directly in the other branches (not with statements nested deeper in them).
        /// </summary>
        private static bool ChosenInsteadOfARealParent(IInvocationOperation invocation, KnownTypes types)
        {
            IOperation node = invocation;
            while (PropagationWiring.ParentSkippingConversions(node) is { } parent)
            {
                if (parent is ISwitchExpressionArmOperation { Parent: ISwitchExpressionOperation @switch } arm)
                {
                    foreach (var other in @switch.Arms)
                    {
                        if (other != arm && StartsWithRealParent(other.Value, types))
                        {
                            return true;
                        }
                    }

                    node = @switch;
                    continue;
                }

                if (parent is IConditionalOperation { WhenFalse: { } whenFalse } conditional && conditional.Condition != node
                    && PropagationWiring.Unwrap(conditional.Condition) != node)
                {
                    var other = conditional.WhenTrue.Syntax.Span.Contains(node.Syntax.Span) ? whenFalse : conditional.WhenTrue;
                    if (StartsWithRealParent(other, types))
                    {
                        return true;
                    }

                    node = conditional;
                    continue;
                }

                break;
            }

            // The statement that holds the start, climbing only through the expression and its declaration.
            while (node.Parent is { } up
                && up is not (IBlockOperation or ISwitchCaseOperation or IConditionalOperation or IAnonymousFunctionOperation or ILocalFunctionOperation)
                && up is not (ILoopOperation or ITryOperation or ILockOperation)
                && (up is not IUsingOperation @using || @using.Resources == node))
            {
                node = up;
            }

            var branch = node.Parent is IBlockOperation block ? block : node;
            switch (branch.Parent)
            {
                case IConditionalOperation { IsRef: false } ifStatement when ifStatement.Type is null && ifStatement.Condition != branch:
                    var top = ifStatement;
                    while (top.Parent is IConditionalOperation outer && outer.WhenFalse == top)
                    {
                        top = outer;
                    }

                    for (IConditionalOperation? link = top; link is not null;)
                    {
                        if (link.WhenTrue != branch && DirectlyStartsWithRealParent(link.WhenTrue, types))
                        {
                            return true;
                        }

                        if (link.WhenFalse is IConditionalOperation next && next.Type is null)
                        {
                            link = next;
                            continue;
                        }

                        if (link.WhenFalse is { } last && last != branch && DirectlyStartsWithRealParent(last, types))
                        {
                            return true;
                        }

                        link = null;
                    }

                    return false;
                case ISwitchCaseOperation { Parent: ISwitchOperation @switch } section:
                    foreach (var other in @switch.Cases)
                    {
                        if (other == section)
                        {
                            continue;
                        }

                        foreach (var statement in other.Body)
                        {
                            if (DirectlyStartsWithRealParent(statement, types))
                            {
                                return true;
                            }
                        }
                    }

                    return false;
                default:
                    return false;
            }
        }

        /// <summary>A branch (a block or one statement) whose own statements start an activity with a real parent or links.</summary>
        private static bool DirectlyStartsWithRealParent(IOperation branch, KnownTypes types)
        {
            if (branch is IBlockOperation block)
            {
                foreach (var statement in block.Operations)
                {
                    if (DirectlyStartsWithRealParent(statement, types))
                    {
                        return true;
                    }
                }

                return false;
            }

            return branch switch
            {
                IExpressionStatementOperation or IVariableDeclarationGroupOperation or IReturnOperation or IUsingDeclarationOperation => StartsWithRealParent(branch, types),
                IUsingOperation @using => StartsWithRealParent(@using.Resources, types),
                _ => false,
            };
        }

        /// <summary>An activity start in <paramref name="operation"/> (lambdas excluded) with a parent that is not default and not Activity.Current, or with links.</summary>
        private static bool StartsWithRealParent(IOperation operation, KnownTypes types)
        {
            if (operation is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }

            if (operation is IInvocationOperation invocation)
            {
                var state = PropagationWiring.GetParentState(invocation, types, out var parent);
                if (state == PropagationWiring.ParentState.Given && parent is not null && !ReadsCurrentActivity(parent.Value, types))
                {
                    return true;
                }

                if (state != PropagationWiring.ParentState.NotAStart
                    && PropagationWiring.Argument(invocation, "links") is { IsImplicit: false, ArgumentKind: not ArgumentKind.DefaultValue } links
                    && !PropagationWiring.IsDefaultValue(links.Value))
                {
                    return true;
                }
            }

            foreach (var child in operation.ChildOperations)
            {
                if (StartsWithRealParent(child, types))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool ReadsCurrentActivity(IOperation value, KnownTypes types)
        {
            foreach (var operation in value.DescendantsAndSelf())
            {
                if (IsCurrentActivity(operation, types))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsCurrentActivity(IOperation? operation, KnownTypes types)
            => operation is not null
                && PropagationWiring.Unwrap(operation) is IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property }
                && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Activity);

        /// <summary>
        /// Every enclosing branch that leads to the start is taken only when a current activity exists (<c>x != null</c>,
        /// <c>x is not null</c>, <c>x is { }</c> or the else of <c>x == null</c>, where x is <c>Activity.Current</c> or a
        /// local initialised from it): the code looked at the current activity and chose to join it.
        /// </summary>
        private static bool TakenOnlyWithACurrentActivity(IInvocationOperation invocation, KnownTypes types)
        {
            IOperation node = invocation;
            for (var parent = node.Parent; parent is not null; node = parent, parent = parent.Parent)
            {
                if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return false;
                }

                if (parent is IConditionalOperation conditional && node != conditional.Condition)
                {
                    var whenTrue = node == conditional.WhenTrue;
                    if (CurrentActivityExistsWhen(conditional.Condition, whenTrue, types))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool CurrentActivityExistsWhen(IOperation condition, bool value, KnownTypes types)
        {
            condition = PropagationWiring.Unwrap(condition);
            switch (condition)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } negation:
                    return CurrentActivityExistsWhen(negation.Operand, !value, types);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when value:
                    return CurrentActivityExistsWhen(both.LeftOperand, true, types) || CurrentActivityExistsWhen(both.RightOperand, true, types);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when !value:
                    return CurrentActivityExistsWhen(either.LeftOperand, false, types) || CurrentActivityExistsWhen(either.RightOperand, false, types);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
                    var notNull = binary.OperatorKind == BinaryOperatorKind.NotEquals ? value : !value;
                    return notNull
                        && ((IsNull(binary.RightOperand) && IsCurrentActivityValue(binary.LeftOperand, types))
                            || (IsNull(binary.LeftOperand) && IsCurrentActivityValue(binary.RightOperand, types)));
                case IIsPatternOperation pattern:
                    return IsCurrentActivityValue(pattern.Value, types) && PatternMeansNotNull(pattern.Pattern, value);
                default:
                    return false;
            }

            static bool IsNull(IOperation operand) => PropagationWiring.Unwrap(operand) is ILiteralOperation { ConstantValue: { HasValue: true, Value: null } };

            static bool PatternMeansNotNull(IPatternOperation pattern, bool value) => pattern switch
            {
                INegatedPatternOperation { Pattern: IConstantPatternOperation constant } when IsNull(constant.Value) => value,
                IConstantPatternOperation constant when IsNull(constant.Value) => !value,
                IRecursivePatternOperation or ITypePatternOperation or IDeclarationPatternOperation { MatchesNull: false } => value,
                _ => false,
            };
        }

        /// <summary><c>Activity.Current</c>, or a local declared with it as its initializer and never assigned again.</summary>
        private static bool IsCurrentActivityValue(IOperation operand, KnownTypes types)
        {
            operand = PropagationWiring.Unwrap(operand);
            if (IsCurrentActivity(operand, types))
            {
                return true;
            }

            if (operand is not ILocalReferenceOperation reference)
            {
                return false;
            }

            var root = PropagationWiring.ScopeRoot(operand);
            var initialisedFromCurrent = false;
            foreach (var operation in root.Descendants())
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local))
                {
                    initialisedFromCurrent = IsCurrentActivity(declarator.Initializer?.Value, types);
                }
                else if (operation is IAssignmentOperation { Target: ILocalReferenceOperation target }
                    && SymbolEqualityComparer.Default.Equals(target.Local, reference.Local))
                {
                    return false;
                }
            }

            return initialisedFromCurrent;
        }
    }
}
