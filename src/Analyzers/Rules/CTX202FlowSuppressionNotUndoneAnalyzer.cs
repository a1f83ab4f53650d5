using System.Collections.Generic;
using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
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

            if (!IsUndoneOnEveryPath(invocation))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX202FlowSuppressionNotUndone, invocation.Syntax.GetLocation()));
            }
        }

        /// <summary>
        /// True when the suppression is a <c>using</c> resource, handed to someone else (returned, passed, stored in a
        /// field), undone immediately, or undone in a <c>finally</c> whose <c>try</c> contains it or starts right after it.
        /// </summary>
        internal static bool IsUndoneOnEveryPath(IInvocationOperation suppress)
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

                if (@try.Block.Span.Contains(statement.Span) || IsNextStatement(statement, @try))
                {
                    return true;
                }
            }

            return false;
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
                if ((method.Name == "RestoreFlow" && method.IsStatic && FlowOperations.IsType(method.ContainingType, "System.Threading", "ExecutionContext"))
                    || (method.Name is "Undo" or "Dispose" && local is not null && FlowOperations.IsLocal(invocation.Instance, local)))
                {
                    yield return invocation;
                }
            }
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
