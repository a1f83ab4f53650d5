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

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
                if (!diagnostic.Properties.ContainsKey(CTX407InjectingEmptyContextAnalyzer.BaggageIsCurrentProperty))
                {
                    continue;
                }

                var argument = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ArgumentSyntax>();
                if (argument?.Parent?.Parent is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } invocation
                    || invocation.ArgumentList.Arguments.Count != 3)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Inject the current activity and baggage",
                        ct => Task.FromResult(context.Document.WithSyntaxRoot(Apply(root, model, invocation, access, argument, ct))),
                        InjectCurrentKey),
                    diagnostic);
            }
        }

        private static SyntaxNode Apply(SyntaxNode root, SemanticModel model, InvocationExpressionSyntax invocation, MemberAccessExpressionSyntax access, ArgumentSyntax context, CancellationToken cancellationToken)
        {
            var simple = RuntimeImport.CanUseSimpleName(model, invocation.SpanStart, CarriersName, cancellationToken);
            return RuntimeImport.EnsureUsing(root.ReplaceNode(invocation, Rewrite(invocation, access, context, simple)), simple);
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
                        RuntimeImport.TypeName(CarriersName, simple),
                        method),
                    list.WithOpenParenToken(list.OpenParenToken.WithTrailingTrivia()).WithArguments(SyntaxFactory.SeparatedList<ArgumentSyntax>(arguments)))
                .WithTriviaFrom(invocation);
        }
    }
}
