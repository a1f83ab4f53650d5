using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ContextAnalyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX303: rewrite a static <c>Baggage.SetBaggage(...)</c> to <c>BaggagePolicy.Default.SetBaggage(...)</c>, which has the
    /// same parameters and the same effect on <c>Baggage.Current</c>, but enforces the propagator's limits and counts
    /// every entry it drops; wrap a pure write that yields a Baggage (<c>Baggage.Create(...)</c>, <c>b.SetBaggage(...)</c>)
    /// in <c>BaggagePolicy.Default.Apply(...)</c>. Offered only when ContextAnalyzers.Runtime is referenced.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX303BaggageDroppedCodeFix))]
    [Shared]
    public sealed class CTX303BaggageDroppedCodeFix : CodeFixProvider
    {
        public const string UsePolicyKey = "CTX303.UsePolicy";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.BaggageDroppedByPropagator);

        public override FixAllProvider GetFixAllProvider() => DocumentFixAll.Create(FixDocumentAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return;
            }

            var policy = model.Compilation.GetTypeByMetadataName(CTX301SensitiveBaggageAnalyzer.BaggagePolicyMetadataName);
            if (policy is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (Plan(root, diagnostic) is not { } plan)
                {
                    continue;
                }

                var title = plan.Wrap
                    ? "Apply BaggagePolicy.Default to the baggage (enforces the limits, counts drops)"
                    : "Set the baggage through BaggagePolicy.Default (enforces the limits, counts drops)";
                context.RegisterCodeFix(
                    CodeAction.Create(title, ct => FixDocumentAsync(context.Document, ImmutableArray.Create(diagnostic), UsePolicyKey, ct), UsePolicyKey),
                    diagnostic);
            }
        }

        /// <summary>The write a diagnostic's fix rewrites (its first additional location), and whether it is wrapped in <c>Apply</c>.</summary>
        private static (InvocationExpressionSyntax Invocation, bool Wrap)? Plan(SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(CTX301SensitiveBaggageAnalyzer.StaticSetBaggageProperty, out var how) ||
                diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree)
            {
                return null;
            }

            var span = diagnostic.AdditionalLocations[0].SourceSpan;
            if (root.FindNode(span, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation ||
                invocation.Span != span)
            {
                return null;
            }

            if (how == CTX301SensitiveBaggageAnalyzer.PolicyStatic && invocation.Expression is MemberAccessExpressionSyntax or IdentifierNameSyntax)
            {
                return (invocation, false);
            }

            return how == CTX301SensitiveBaggageAnalyzer.PolicyWrap ? (invocation, true) : null;
        }

        /// <summary>
        /// Every write of <paramref name="diagnostics"/> at once: a static <c>Baggage.SetBaggage(...)</c> becomes
        /// <c>BaggagePolicy.Default.SetBaggage(...)</c>, a pure write <c>BaggagePolicy.Default.Apply(write)</c>.
        /// </summary>
        private static async Task<Document> FixDocumentAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (key != UsePolicyKey || root is null || model is null ||
                model.Compilation.GetTypeByMetadataName(CTX301SensitiveBaggageAnalyzer.BaggagePolicyMetadataName) is not { } policy)
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

                var simple = RuntimeImport.CanUseSimpleName(model, plan.Invocation.SpanStart, policy.Name, cancellationToken);
                var wrap = plan.Wrap;
                edits.Add(new DocumentFixAll.Edit(plan.Invocation, node => Rewrite((InvocationExpressionSyntax)node, policy.Name, simple, wrap), simple));
            }

            return DocumentFixAll.Apply(document, root, edits);
        }

        private static SyntaxNode Rewrite(InvocationExpressionSyntax invocation, string policy, bool simple, bool wrap)
        {
            var policyDefault = SyntaxFactory.MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression, RuntimeImport.TypeExpression(policy, simple), SyntaxFactory.IdentifierName("Default"));
            if (wrap)
            {
                return SyntaxFactory.InvocationExpression(
                        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, policyDefault, SyntaxFactory.IdentifierName("Apply")),
                        SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(invocation.WithoutTrivia()))))
                    .WithTriviaFrom(invocation);
            }

            var target = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, policyDefault, SyntaxFactory.IdentifierName("SetBaggage"));
            return invocation.WithExpression(target.WithTriviaFrom(invocation.Expression));
        }
    }
}
