using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ContextAnalyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX407: <c>propagator.Inject(default, carrier, setter)</c> becomes
    /// <c>Carriers.InjectCurrent(propagator, carrier, setter)</c>, which injects the current activity's context and the
    /// current baggage. Offered when the runtime is referenced and the baggage given was default or Baggage.Current.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX407InjectingEmptyContextCodeFix))]
    [Shared]
    public sealed class CTX407InjectingEmptyContextCodeFix : CodeFixProvider
    {
        public const string InjectCurrentKey = "CTX407.InjectCurrent";

        private const string CarriersName = "Carriers";
        private const string CarriersMetadataName = RuntimeImport.Namespace + "." + CarriersName;

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.InjectingEmptyContext);

        public override FixAllProvider GetFixAllProvider() => DocumentFixAll.Create(FixDocumentAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null || model.Compilation.GetTypeByMetadataName(CarriersMetadataName) is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (Plan(root, diagnostic) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Inject the current activity and baggage",
                        ct => FixDocumentAsync(context.Document, ImmutableArray.Create(diagnostic), InjectCurrentKey, ct),
                        InjectCurrentKey),
                    diagnostic);
            }
        }

        /// <summary>The <c>Inject</c> call of a diagnostic whose context argument is replaced by the current one, and that argument's index.</summary>
        private static (InvocationExpressionSyntax Invocation, int Argument)? Plan(SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.ContainsKey(CTX407InjectingEmptyContextAnalyzer.BaggageIsCurrentProperty))
            {
                return null;
            }

            var argument = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ArgumentSyntax>();
            if (argument?.Parent?.Parent is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax } invocation
                || invocation.ArgumentList.Arguments.Count != 3)
            {
                return null;
            }

            return (invocation, invocation.ArgumentList.Arguments.IndexOf(argument));
        }

        /// <summary>Every <c>Inject</c> call of <paramref name="diagnostics"/> becomes <c>Carriers.InjectCurrent(...)</c>, in one rewrite.</summary>
        private static async Task<Document> FixDocumentAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (key != InjectCurrentKey || root is null || model is null || model.Compilation.GetTypeByMetadataName(CarriersMetadataName) is null)
            {
                return document;
            }

            var edits = new List<DocumentFixAll.Edit>();
            foreach (var diagnostic in diagnostics)
            {
                if (Plan(root, diagnostic) is not { } plan)
                {
                    continue;
                }

                var simple = RuntimeImport.CanUseSimpleName(model, plan.Invocation.SpanStart, CarriersName, cancellationToken);
                var index = plan.Argument;
                edits.Add(new DocumentFixAll.Edit(
                    plan.Invocation,
                    node =>
                    {
                        var invocation = (InvocationExpressionSyntax)node;
                        return Rewrite(invocation, (MemberAccessExpressionSyntax)invocation.Expression, invocation.ArgumentList.Arguments[index], simple);
                    },
                    simple));
            }

            return DocumentFixAll.Apply(document, root, edits);
        }

        private static InvocationExpressionSyntax Rewrite(InvocationExpressionSyntax invocation, MemberAccessExpressionSyntax access, ArgumentSyntax context, bool simple)
        {
            // The receiver becomes the first argument; the other arguments keep their separators and the comments on them
            // (what was after the open parenthesis now follows the receiver's comma).
            var list = invocation.ArgumentList;
            var arguments = new List<SyntaxNodeOrToken>
            {
                SyntaxFactory.Argument(access.Expression.WithoutTrivia()),
                SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(list.OpenParenToken.TrailingTrivia.Any() ? list.OpenParenToken.TrailingTrivia : SyntaxFactory.TriviaList(SyntaxFactory.Space)),
            };
            arguments.AddRange(list.Arguments.Remove(context).GetWithSeparators());

            SimpleNameSyntax method = access.Name is GenericNameSyntax generic
                ? SyntaxFactory.GenericName(SyntaxFactory.Identifier("InjectCurrent"), generic.TypeArgumentList)
                : SyntaxFactory.IdentifierName("InjectCurrent");
            return SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(
                        SyntaxKind.SimpleMemberAccessExpression,
                        RuntimeImport.TypeExpression(CarriersName, simple),
                        method),
                    list.WithOpenParenToken(list.OpenParenToken.WithTrailingTrivia()).WithArguments(SyntaxFactory.SeparatedList<ArgumentSyntax>(arguments)))
                .WithTriviaFrom(invocation);
        }
    }
}
