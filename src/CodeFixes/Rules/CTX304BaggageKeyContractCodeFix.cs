using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX304 <b>Read the written key</b>: the key literal of the read becomes the written key it nearly matches.
    /// CTX305 <b>Use the schema's key</b>: the key literal of the write becomes the closest key listed in the schema.
    /// Offered only when the key is a string literal at the reported location (a constant declared elsewhere may be used
    /// by other code) and the analyzer named one key (the diagnostic's <c>Key</c> property).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX304BaggageKeyContractCodeFix)), Shared]
    public sealed class CTX304BaggageKeyContractCodeFix : CodeFixProvider
    {
        public const string RenameReadKey = "CTX304.ReadWrittenKey";
        public const string UseSchemaKey = "CTX305.UseSchemaKey";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } =
            ImmutableArray.Create(DiagnosticIds.BaggageKeyReadNotWritten, DiagnosticIds.BaggageKeyNotInSchema);

        // Each fix replaces one literal: the edits never overlap.
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
                if (!diagnostic.Properties.TryGetValue(CTX304BaggageKeyContractAnalyzer.KeyProperty, out var key) || string.IsNullOrEmpty(key)
                    || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax literal
                    || !literal.IsKind(SyntaxKind.StringLiteralExpression)
                    || literal.Span != diagnostic.Location.SourceSpan)
                {
                    continue;
                }

                var read = diagnostic.Id == DiagnosticIds.BaggageKeyReadNotWritten;
                var equivalenceKey = read ? RenameReadKey : UseSchemaKey;
                var title = read ? $"Read the written key '{key}'" : $"Use the schema's key '{key}'";
                context.RegisterCodeFix(
                    CodeAction.Create(
                        title,
                        _ =>
                        {
                            var replacement = LiteralExpression(SyntaxKind.StringLiteralExpression, Literal(key!)).WithTriviaFrom(literal);
                            return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(literal, replacement)));
                        },
                        equivalenceKey),
                    diagnostic);
            }
        }
    }
}
