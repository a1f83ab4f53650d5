using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX206: removes the lost change. For <c>Activity.Current</c> it is dead code; for baggage it also stops the
    /// accidental leak into the caller through OpenTelemetry's shared holder. Offered only for a statement in a block.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX206AmbientChangeLostOnReturnCodeFix))]
    [Shared]
    public sealed class CTX206AmbientChangeLostOnReturnCodeFix : CodeFixProvider
    {
        public const string RemoveLostChangeKey = "CTX206.RemoveLostChange";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.AmbientChangeLostOnReturn);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                if (node.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { Parent: BlockSyntax } statement
                    || statement.Expression.Span != diagnostic.Location.SourceSpan
                    || diagnostic.Properties.ContainsKey(CTX206AmbientChangeLostOnReturnAnalyzer.KeepWriteProperty))
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Remove the change that is lost when the flow returns",
                        ct => RemoveAsync(context.Document, statement, ct),
                        RemoveLostChangeKey),
                    diagnostic);
            }
        }

        private static async Task<Document> RemoveAsync(Document document, ExpressionStatementSyntax statement, System.Threading.CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            // Comments above the removed statement move to the next token; its own indentation and line end go.
            var leading = statement.GetLeadingTrivia();
            var keep = leading.Any(t => !t.IsKind(SyntaxKind.WhitespaceTrivia) && !t.IsKind(SyntaxKind.EndOfLineTrivia))
                ? SyntaxFactory.TriviaList(leading.Reverse().SkipWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse())
                : SyntaxFactory.TriviaList();
            var next = statement.GetLastToken().GetNextToken();
            var tracked = root.TrackNodes(statement);
            if (keep.Count > 0 && next != default)
            {
                var nextInTracked = tracked.FindToken(next.SpanStart);
                tracked = tracked.ReplaceToken(nextInTracked, nextInTracked.WithLeadingTrivia(keep.AddRange(nextInTracked.LeadingTrivia)));
            }

            var current = tracked.GetCurrentNode(statement);
            var newRoot = current is null ? tracked : tracked.RemoveNode(current, SyntaxRemoveOptions.KeepUnbalancedDirectives);
            return newRoot is null ? document : document.WithSyntaxRoot(newRoot);
        }
    }
}
