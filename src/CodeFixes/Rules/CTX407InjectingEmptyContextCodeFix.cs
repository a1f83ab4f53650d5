using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

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

        private const string CarriersMetadataName = "ContextAnalyzers.Runtime.Carriers";

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
                        _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(invocation, Rewrite(invocation, access, argument)))),
                        InjectCurrentKey),
                    diagnostic);
            }
        }

        private static InvocationExpressionSyntax Rewrite(InvocationExpressionSyntax invocation, MemberAccessExpressionSyntax access, ArgumentSyntax context)
        {
            var arguments = new List<ArgumentSyntax> { SyntaxFactory.Argument(access.Expression.WithoutTrivia()) };
            foreach (var argument in invocation.ArgumentList.Arguments)
            {
                if (argument != context)
                {
                    arguments.Add(argument);
                }
            }

            SimpleNameSyntax method = access.Name is GenericNameSyntax generic
                ? SyntaxFactory.GenericName(SyntaxFactory.Identifier("InjectCurrent"), generic.TypeArgumentList)
                : SyntaxFactory.IdentifierName("InjectCurrent");
            return SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(
                        SyntaxKind.SimpleMemberAccessExpression,
                        SyntaxFactory.ParseTypeName("global::" + CarriersMetadataName).WithAdditionalAnnotations(Simplifier.Annotation),
                        method),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)).WithTriviaFrom(invocation.ArgumentList))
                .WithTriviaFrom(invocation);
        }
    }
}
