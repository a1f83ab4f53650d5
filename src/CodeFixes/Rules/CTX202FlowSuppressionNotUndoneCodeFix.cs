using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX202: <c>using (ExecutionContext.SuppressFlow()) { ... }</c> around the statements from the suppression to its
    /// (non-<c>finally</c>) undo in the same block, or to the end of the block when nothing undoes it; the undo goes.
    /// Not offered when another undo exists elsewhere (it would undo twice and throw), when the control is used
    /// otherwise, or when a variable declared in the moved statements is used after them.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX202FlowSuppressionNotUndoneCodeFix))]
    [Shared]
    public sealed class CTX202FlowSuppressionNotUndoneCodeFix : CodeFixProvider
    {
        public const string UseUsingKey = "CTX202.UseUsing";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.FlowSuppressionNotUndone);

        // Two suppressions of one block rewrite the same block (the outer using may move the inner one): a batch merge
        // drops one of the overlapping edits, so fix one by one, re-planning each on the edited document.
        public override FixAllProvider GetFixAllProvider() => SequentialFixAll.Create(ApplyAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax suppress)
                {
                    continue;
                }

                var plan = Plan(suppress, model, context.CancellationToken);
                if (plan is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Dispose the AsyncFlowControl with 'using'",
                        ct => ApplyAsync(context.Document, diagnostic.Location.SourceSpan, UseUsingKey, ct),
                        UseUsingKey),
                    diagnostic);
            }
        }

        private static async Task<Document> ApplyAsync(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (key != UseUsingKey
                || root is null
                || model is null
                || root.FindNode(span, getInnermostNodeForTie: true) is not InvocationExpressionSyntax suppress
                || Plan(suppress, model, cancellationToken) is not { } plan)
            {
                return document;
            }

            return document.WithSyntaxRoot(Apply(root, plan));
        }

        private sealed class FixPlan
        {
            public FixPlan(BlockSyntax block, StatementSyntax statement, InvocationExpressionSyntax suppress, StatementSyntax? undo)
            {
                Block = block;
                Statement = statement;
                Suppress = suppress;
                Undo = undo;
            }

            public BlockSyntax Block { get; }

            public StatementSyntax Statement { get; }

            public InvocationExpressionSyntax Suppress { get; }

            public StatementSyntax? Undo { get; }
        }

        private static FixPlan? Plan(InvocationExpressionSyntax suppress, SemanticModel model, CancellationToken cancellationToken)
        {
            if (model.GetOperation(suppress, cancellationToken) is not IInvocationOperation operation)
            {
                return null;
            }

            StatementSyntax? statement = null;
            ILocalSymbol? local = null;
            switch (suppress.Parent)
            {
                case ExpressionStatementSyntax expressionStatement:
                    statement = expressionStatement;
                    break;
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } when declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration }:
                    statement = declaration;
                    local = model.GetDeclaredSymbol(declarator, cancellationToken) as ILocalSymbol;
                    break;
            }

            if (statement?.Parent is not BlockSyntax block || Flow.FlowOperations.EnclosingFunction(operation) is not { } function)
            {
                return null;
            }

            var undos = CTX202FlowSuppressionNotUndoneAnalyzer.Undos(function, local).ToList();
            StatementSyntax? undo = null;
            if (undos.Count > 1)
            {
                return null;
            }

            if (undos.Count == 1)
            {
                undo = undos[0].Syntax.Parent as ExpressionStatementSyntax;
                if (undo is null || undo.Parent != block || undo.SpanStart < statement.Span.End)
                {
                    return null;
                }
            }

            if (local is not null)
            {
                // The control must not be used for anything but the undo being removed.
                var references = block.DescendantNodes().OfType<IdentifierNameSyntax>()
                    .Where(n => n.Identifier.ValueText == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, local))
                    .ToList();
                if (references.Any(r => undo is null || !undo.Span.Contains(r.Span)))
                {
                    return null;
                }
            }

            // Locals declared in the moved statements must not be used after them.
            var moved = Moved(block, statement, undo).ToList();
            var after = undo is null ? new List<StatementSyntax>() : block.Statements.Where(s => s.SpanStart > undo.Span.End).ToList();
            var declared = moved.OfType<LocalDeclarationStatementSyntax>().SelectMany(d => d.Declaration.Variables).Select(v => v.Identifier.ValueText).ToImmutableHashSet();
            if (declared.Count > 0 && after.SelectMany(s => s.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()).Any(n => declared.Contains(n.Identifier.ValueText)))
            {
                return null;
            }

            return new FixPlan(block, statement, suppress, undo);
        }

        private static IEnumerable<StatementSyntax> Moved(BlockSyntax block, StatementSyntax statement, StatementSyntax? undo)
            => block.Statements.Where(s => s.SpanStart > statement.Span.End && (undo is null || s.Span.End <= undo.SpanStart));

        private static SyntaxNode Apply(SyntaxNode root, FixPlan plan)
        {
            var moved = Moved(plan.Block, plan.Statement, plan.Undo).ToList();
            var usingStatement = SyntaxFactory.UsingStatement(
                    declaration: null,
                    expression: plan.Suppress.WithoutTrivia(),
                    statement: SyntaxFactory.Block(moved))
                .WithLeadingTrivia(plan.Statement.GetLeadingTrivia())
                .WithTrailingTrivia(plan.Statement.GetTrailingTrivia())
                .WithAdditionalAnnotations(Formatter.Annotation);

            var statements = new List<StatementSyntax>();
            var carried = default(SyntaxTriviaList);
            foreach (var statement in plan.Block.Statements)
            {
                if (statement == plan.Statement)
                {
                    statements.Add(usingStatement);
                }
                else if (statement == plan.Undo)
                {
                    // Comments above the removed undo move to what follows it.
                    if (statement.GetLeadingTrivia().Any(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia)))
                    {
                        carried = statement.GetLeadingTrivia();
                    }
                }
                else if (!moved.Contains(statement))
                {
                    statements.Add(carried.Count > 0 ? statement.WithLeadingTrivia(carried.AddRange(statement.GetLeadingTrivia())) : statement);
                    carried = default;
                }
            }

            var block = plan.Block.WithStatements(SyntaxFactory.List(statements));
            if (carried.Count > 0)
            {
                block = block.WithCloseBraceToken(block.CloseBraceToken.WithLeadingTrivia(carried.AddRange(block.CloseBraceToken.LeadingTrivia)));
            }

            return root.ReplaceNode(plan.Block, block.WithAdditionalAnnotations(Formatter.Annotation));
        }
    }
}
