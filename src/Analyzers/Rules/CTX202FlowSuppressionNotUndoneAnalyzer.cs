using System.Collections.Generic;
using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX202: <c>ExecutionContext.SuppressFlow()</c> whose <c>AsyncFlowControl</c> is neither disposed (<c>using</c>)
    /// nor undone / followed by <c>ExecutionContext.RestoreFlow()</c> in a <c>finally</c> that covers it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX202FlowSuppressionNotUndoneAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX202FlowSuppressionNotUndone);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (types.ExecutionContext is null || types.AsyncFlowControl is null)
                {
                    return;
                }

                // SuppressFlow by name first: other bodies get no callback per call.
                NameIndex.RegisterWhereNamed(start, Names.SuppressFlow, c => Analyze(c, types), OperationKind.Invocation);
            });
        }

        private static void Analyze(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (invocation.TargetMethod.Name != "SuppressFlow"
                || !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.ExecutionContext))
            {
                return;
            }

            if (!IsUndoneOnEveryPath(invocation, new FlowGraphSource(context)))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX202FlowSuppressionNotUndone, invocation.Syntax.GetLocation()));
            }
        }

        /// <summary>
        /// True when the suppression is a <c>using</c> resource, handed to someone else (returned, passed, stored in a
        /// field), undone immediately, or undone in a <c>finally</c> whose <c>try</c> contains it or starts right after it.
        /// </summary>
        internal static bool IsUndoneOnEveryPath(IInvocationOperation suppress, in FlowGraphSource graphs)
        {
            ILocalSymbol? local = null;
            var parent = suppress.Parent;
            while (parent is IConversionOperation)
            {
                parent = parent.Parent;
            }

            switch (parent)
            {
                case IUsingOperation:
                case IReturnOperation:
                case IArgumentOperation:
                case IInvocationOperation:
                    return true;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    for (var p = declarator.Parent; p is not null; p = p.Parent)
                    {
                        if (p is IUsingDeclarationOperation or IUsingOperation)
                        {
                            return true;
                        }

                        if (p is not (IVariableDeclarationOperation or IVariableDeclarationGroupOperation))
                        {
                            break;
                        }
                    }

                    local = declarator.Symbol;
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target }:
                    local = target.Local;
                    break;
                case IExpressionStatementOperation:
                    break;
                default:
                    return true;
            }

            var statement = suppress.Syntax.FirstAncestorOrSelf<StatementSyntax>();
            var function = FlowOperations.EnclosingFunction(suppress);
            if (statement is null || function is null)
            {
                return true;
            }

            foreach (var undo in Undos(function, local))
            {
                var @finally = undo.Syntax.FirstAncestorOrSelf<FinallyClauseSyntax>();
                if (@finally?.Parent is not TryStatementSyntax @try)
                {
                    continue;
                }

                for (var anchor = statement; anchor is not null; anchor = GuardingIf(anchor))
                {
                    if ((@try.Block.Span.Contains(anchor.Span) || IsNextStatement(anchor, @try))
                        && UndoesOnEveryPathThroughFinally(undo, local, graphs))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// Does every path through the <c>finally</c> that holds <paramref name="undo"/> undo the suppression? Decided on the
        /// control-flow graph: a path that leaves the region without meeting an undo is a suppression left in place
        /// (<c>finally { if (cancelled) flow.Undo(); }</c>), unless the condition it took is the restore flag of the
        /// guarded pattern (a local <c>bool</c> of the method, <c>if (restoreFlow) ExecutionContext.RestoreFlow();</c>, set
        /// where the suppression is made) or a test of <c>ExecutionContext.IsFlowSuppressed()</c>. True when the graph
        /// cannot be built (the syntactic answer stands).
        /// </summary>
        private static bool UndoesOnEveryPathThroughFinally(IInvocationOperation undo, ILocalSymbol? local, in FlowGraphSource graphs)
        {
            // A statement of the finally block itself (blocks only between them) runs on every path through it: no graph.
            if (IsUnconditionalInFinally(undo.Syntax) || IsRestoreGuardedInFinally(undo))
            {
                return true;
            }

            var cfg = FlowGraphs.GraphOfFunctionAround(undo, graphs);
            var types = KnownTypes.Of(undo); // the graph's own operations have no semantic model
            if (cfg is null || types is null)
            {
                return true;
            }

            ControlFlowRegion? region = null;
            foreach (var block in cfg.Blocks)
            {
                foreach (var operation in FlowGraphs.BlockOperations(block))
                {
                    if (operation.Syntax.SyntaxTree == undo.Syntax.SyntaxTree && operation.Syntax.Span.Contains(undo.Syntax.Span))
                    {
                        for (region = block.EnclosingRegion; region is not null && region.Kind != ControlFlowRegionKind.Finally; region = region.EnclosingRegion)
                        {
                        }

                        break;
                    }
                }

                if (region is not null)
                {
                    break;
                }
            }

            if (region is null)
            {
                return true;
            }

            var visited = new HashSet<int>();
            var stack = new Stack<BasicBlock>();
            stack.Push(cfg.Blocks[region.FirstBlockOrdinal]);
            visited.Add(region.FirstBlockOrdinal);
            while (stack.Count > 0)
            {
                graphs.CancellationToken.ThrowIfCancellationRequested();
                var block = stack.Pop();
                var undone = false;
                foreach (var operation in FlowGraphs.BlockOperations(block))
                {
                    foreach (var descendant in operation.DescendantsAndSelf())
                    {
                        if (descendant is IInvocationOperation call && IsUndo(call, local, types))
                        {
                            undone = true;
                        }
                    }
                }

                if (undone || block.BranchValue is { } condition && IsRestoreGuard(condition, types))
                {
                    continue;
                }

                foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                {
                    if (branch is null)
                    {
                        continue;
                    }

                    var destination = branch.Destination;
                    if (destination is null || destination.Ordinal < region.FirstBlockOrdinal || destination.Ordinal > region.LastBlockOrdinal)
                    {
                        return false; // left the finally without an undo
                    }

                    if (visited.Add(destination.Ordinal))
                    {
                        stack.Push(destination);
                    }
                }
            }

            return true;
        }

        private static bool IsUnconditionalInFinally(SyntaxNode undo)
        {
            var statement = undo.FirstAncestorOrSelf<StatementSyntax>();
            return statement is ExpressionStatementSyntax expression && expression.Expression == undo && IsStatementOfFinally(statement);
        }

        /// <summary>
        /// <c>finally { if (restoreFlow) ExecutionContext.RestoreFlow(); }</c> (or a test of <c>IsFlowSuppressed()</c>): the
        /// guarded pattern, which the graph walk would accept too; the common shape needs no graph.
        /// </summary>
        private static bool IsRestoreGuardedInFinally(IInvocationOperation undo)
        {
            var statement = undo.Parent as IExpressionStatementOperation;
            var parent = statement?.Parent;
            if (parent is IBlockOperation { Operations.Length: 1 } block)
            {
                parent = block.Parent;
            }

            return parent is IConditionalOperation { WhenFalse: null, Syntax: IfStatementSyntax @if } conditional
                && KnownTypes.Of(undo) is { } types
                && IsRestoreGuard(conditional.Condition, types)
                && IsStatementOfFinally(@if);
        }

        /// <summary>A statement of a <c>finally</c> block, only blocks between them: it runs on every path through the finally.</summary>
        private static bool IsStatementOfFinally(StatementSyntax statement)
        {
            for (var parent = statement.Parent; parent is not null; parent = parent.Parent)
            {
                switch (parent)
                {
                    case BlockSyntax { Parent: FinallyClauseSyntax }:
                        return true;
                    case BlockSyntax:
                        continue;
                    default:
                        return false;
                }
            }

            return false;
        }

        private static bool IsUndo(IInvocationOperation invocation, ILocalSymbol? local, KnownTypes types)
        {
            var method = invocation.TargetMethod;
            return (method.Name == "RestoreFlow" && method.IsStatic && KnownTypes.Is(method.ContainingType, types.ExecutionContext))
                || (method.Name is "Undo" or "Dispose" && local is not null && FlowOperations.IsLocal(invocation.Instance, local));
        }

        /// <summary>A restore flag (a local <c>bool</c>, possibly negated) or a test of <c>ExecutionContext.IsFlowSuppressed()</c>.</summary>
        private static bool IsRestoreGuard(IOperation condition, KnownTypes types)
        {
            while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                condition = not.Operand;
            }

            return condition is ILocalReferenceOperation { Local.Type.SpecialType: SpecialType.System_Boolean }
                || condition is IInvocationOperation { TargetMethod: { Name: "IsFlowSuppressed", IsStatic: true } method }
                    && KnownTypes.Is(method.ContainingType, types.ExecutionContext);
        }

        /// <summary><c>ExecutionContext.RestoreFlow()</c>, or <c>Undo()</c>/<c>Dispose()</c> on <paramref name="local"/>.</summary>
        internal static IEnumerable<IInvocationOperation> Undos(IOperation function, ILocalSymbol? local)
        {
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation is not IInvocationOperation invocation)
                {
                    continue;
                }

                var method = invocation.TargetMethod;
                if ((method.Name == "RestoreFlow" && method.IsStatic && KnownTypes.Is(method.ContainingType, KnownTypes.Of(invocation)?.ExecutionContext))
                    || (method.Name is "Undo" or "Dispose" && local is not null && FlowOperations.IsLocal(invocation.Instance, local)))
                {
                    yield return invocation;
                }
            }
        }

        /// <summary>
        /// The <c>if</c> statement whose branch ends with <paramref name="statement"/> (only flag assignments such as
        /// <c>restore = true;</c> may follow it there): <c>if (!ExecutionContext.IsFlowSuppressed()) { SuppressFlow();
        /// restore = true; }</c> followed by <c>try { .. } finally { if (restore) RestoreFlow(); }</c> undoes the
        /// suppression on every path, like a <c>try</c> that starts right after the call.
        /// </summary>
        private static StatementSyntax? GuardingIf(StatementSyntax statement)
        {
            if (statement.Parent is IfStatementSyntax direct && direct.Statement == statement)
            {
                return direct;
            }

            if (statement.Parent is not BlockSyntax { Parent: IfStatementSyntax guard } block || guard.Statement != block)
            {
                return null;
            }

            for (var i = block.Statements.IndexOf(statement) + 1; i < block.Statements.Count; i++)
            {
                if (block.Statements[i] is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: IdentifierNameSyntax, Right: LiteralExpressionSyntax } })
                {
                    return null;
                }
            }

            return guard;
        }

        private static bool IsNextStatement(StatementSyntax statement, StatementSyntax next)
        {
            if (statement.Parent is not BlockSyntax block || next.Parent != block)
            {
                return false;
            }

            var index = block.Statements.IndexOf(statement);
            return index >= 0 && index + 1 < block.Statements.Count && block.Statements[index + 1] == next;
        }
    }
}
