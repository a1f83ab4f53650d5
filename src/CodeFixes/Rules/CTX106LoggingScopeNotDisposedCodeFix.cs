using System;
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
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX106 <b>Use a using declaration</b>: <c>var scope = logger.BeginScope(..)</c> becomes
    /// <c>using var scope = logger.BeginScope(..)</c>, and a discarded <c>logger.BeginScope(..);</c> becomes
    /// <c>using var scope = logger.BeginScope(..);</c>: the scope then ends with the enclosing block, on every path.
    /// An explicit <c>Dispose()</c> that stays in place still ends it first (disposing a logging scope twice does nothing).
    /// Not offered for a local that is assigned again (a using variable is read-only), outside a block, or before C# 8.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX106LoggingScopeNotDisposedCodeFix)), Shared]
    public sealed class CTX106LoggingScopeNotDisposedCodeFix : CodeFixProvider
    {
        public const string UseUsingKey = "CTX106.UseUsing";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.LoggingScopeNotDisposed);

        // A discarded scope gets a new local: fix one by one so that names stay unique.
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
                if (diagnostic.Properties.TryGetValue(CTX106LoggingScopeNotDisposedAnalyzer.ReasonProperty, out var reason)
                    && reason == CTX106LoggingScopeNotDisposedAnalyzer.ReasonOverwritten)
                {
                    continue;
                }

                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                if (Plan(node, model, context.CancellationToken) is not null)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create("Use a using declaration", ct => ApplyAsync(context.Document, diagnostic.Location.SourceSpan, UseUsingKey, ct), UseUsingKey),
                        diagnostic);
                }
            }
        }

        private static async Task<Document> ApplyAsync(Document document, TextSpan span, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null || key != UseUsingKey)
            {
                return document;
            }

            var plan = Plan(root.FindNode(span, getInnermostNodeForTie: true), model, cancellationToken);
            return plan is null ? document : document.WithSyntaxRoot(plan(root));
        }

        private static Func<SyntaxNode, SyntaxNode>? Plan(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
        {
            if (((CSharpParseOptions)node.SyntaxTree.Options).LanguageVersion < LanguageVersion.CSharp8 || node is not ExpressionSyntax scope)
            {
                return null;
            }

            // Discarded: `logger.BeginScope(..);` or `_ = logger.BeginScope(..);` as a statement of a block.
            var statement = scope.Parent switch
            {
                ExpressionStatementSyntax direct => direct,
                AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard when discard.Right == scope
                    && model.GetSymbolInfo(discard.Left, cancellationToken).Symbol is not (ILocalSymbol or IFieldSymbol or IParameterSymbol or IPropertySymbol)
                    => discard.Parent as ExpressionStatementSyntax,
                _ => null,
            };
            if (statement is not null)
            {
                if (statement.Parent is not BlockSyntax)
                {
                    return null;
                }

                var name = FixSyntax.FreshLocalName(model, statement, statement.SpanStart, "scope");
                return root =>
                {
                    var declaration = LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"), SingletonSeparatedList(
                            VariableDeclarator(Identifier(name)).WithInitializer(EqualsValueClause(scope.WithoutTrivia())))))
                        .WithUsingKeyword(Token(SyntaxKind.UsingKeyword))
                        .WithTriviaFrom(statement)
                        .WithAdditionalAnnotations(Formatter.Annotation);
                    return root.ReplaceNode(statement, declaration);
                };
            }

            // Declared: `var scope = logger.BeginScope(..);` (one declarator, in a block).
            if (scope.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                && declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1 }
                && declarator.Parent.Parent is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, AwaitKeyword.RawKind: 0 } local
                && local.Parent is BlockSyntax block
                && model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol symbol
                && !IsWrittenOrPassedByReference(block, symbol, model, cancellationToken))
            {
                return root =>
                {
                    var firstToken = local.GetFirstToken();
                    var updated = local
                        .ReplaceToken(firstToken, firstToken.WithLeadingTrivia(Space))
                        .WithUsingKeyword(Token(SyntaxKind.UsingKeyword).WithLeadingTrivia(firstToken.LeadingTrivia));
                    return root.ReplaceNode(local, updated);
                };
            }

            return null;
        }

        /// <summary>A using variable is read-only: no fix when the local is assigned, incremented or passed by reference.</summary>
        private static bool IsWrittenOrPassedByReference(BlockSyntax block, ILocalSymbol symbol, SemanticModel model, CancellationToken cancellationToken)
        {
            foreach (var identifier in block.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (identifier.Identifier.ValueText != symbol.Name)
                {
                    continue;
                }

                var written = (identifier.Parent is AssignmentExpressionSyntax assignment && assignment.Left == identifier)
                    || identifier.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 }
                    || identifier.Parent is PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax;
                if (written && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, symbol))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
