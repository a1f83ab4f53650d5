using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX104 fixes. <b>Make it current in a scope</b> (only when ContextAnalyzers.Runtime is referenced):
    /// <c>using var scope = ContextScope.Use(Baggage.Current.SetBaggage("k", "v"));</c>. <b>Keep it in a local</b>:
    /// <c>var baggage = Baggage.Current.SetBaggage("k", "v");</c> (the caller passes it on explicitly).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX104BaggageResultDiscardedCodeFix)), Shared]
    public sealed class CTX104BaggageResultDiscardedCodeFix : CodeFixProvider
    {
        public const string UseContextScopeKey = "CTX104.UseContextScope";
        public const string AssignToLocalKey = "CTX104.AssignToLocal";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.BaggageResultDiscarded);

        // Each fix introduces a name: fix one by one so that names stay unique.
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
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                foreach (var key in new[] { UseContextScopeKey, AssignToLocalKey })
                {
                    if (Plan(node, model, key, context.CancellationToken) is not null)
                    {
                        var title = key == UseContextScopeKey ? "Make the result current in a ContextScope" : "Keep the result in a local";
                        context.RegisterCodeFix(CodeAction.Create(title, ct => ApplyAsync(context.Document, diagnostic.Location.SourceSpan, key, ct), key), diagnostic);
                    }
                }
            }
        }

        private static async Task<Document> ApplyAsync(Document document, TextSpan span, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return document;
            }

            var plan = Plan(root.FindNode(span, getInnermostNodeForTie: true), model, key, cancellationToken);
            return plan is null ? document : document.WithSyntaxRoot(plan(root));
        }

        private static System.Func<SyntaxNode, SyntaxNode>? Plan(SyntaxNode node, SemanticModel model, string key, CancellationToken cancellationToken)
        {
            // Only `receiver.Method(..);` as a statement of a block (not `b?.Method(..)`, whose result would be nullable).
            if (node is not InvocationExpressionSyntax invocation || invocation.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax } statement)
            {
                return null;
            }

            ExpressionSyntax initializer;
            string baseName;
            bool isUsing;
            var simple = false;
            if (key == UseContextScopeKey)
            {
                if (KnownTypes.Get(model.Compilation).HasRuntime is false || ((CSharpParseOptions)statement.SyntaxTree.Options).LanguageVersion < LanguageVersion.CSharp8)
                {
                    return null;
                }

                simple = RuntimeImport.CanUseSimpleName(model, statement.SpanStart, "ContextScope", cancellationToken);
                initializer = FixSyntax.ContextScopeCall(simple, "Use", invocation);
                baseName = "scope";
                isUsing = true;
            }
            else
            {
                initializer = invocation.WithoutTrivia();
                baseName = "baggage";
                isUsing = false;
            }

            var name = FixSyntax.FreshLocalName(model, statement, statement.SpanStart, baseName);
            return root =>
            {
                var declaration = LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"), SingletonSeparatedList(
                    VariableDeclarator(FixSyntax.Identifier(name)).WithInitializer(EqualsValueClause(initializer)))));
                if (isUsing)
                {
                    declaration = declaration.WithUsingKeyword(Token(SyntaxKind.UsingKeyword));
                }

                return RuntimeImport.EnsureUsing(root.ReplaceNode(statement, declaration.WithTriviaFrom(statement).WithAdditionalAnnotations(Formatter.Annotation)), simple);
            };
        }
    }
}
