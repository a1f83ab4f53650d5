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
using Microsoft.CodeAnalysis.Editing;

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

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
                if (!diagnostic.Properties.TryGetValue(CTX301SensitiveBaggageAnalyzer.StaticSetBaggageProperty, out var how) ||
                    diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree)
                {
                    continue;
                }

                var span = diagnostic.AdditionalLocations[0].SourceSpan;
                if (root.FindNode(span, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation ||
                    invocation.Span != span)
                {
                    continue;
                }

                if (how == CTX301SensitiveBaggageAnalyzer.PolicyStatic && invocation.Expression is MemberAccessExpressionSyntax or IdentifierNameSyntax)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Set the baggage through BaggagePolicy.Default (enforces the limits, counts drops)",
                            ct => UsePolicyAsync(context.Document, invocation, policy, ct),
                            UsePolicyKey),
                        diagnostic);
                }
                else if (how == CTX301SensitiveBaggageAnalyzer.PolicyWrap)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Apply BaggagePolicy.Default to the baggage (enforces the limits, counts drops)",
                            ct => WrapAsync(context.Document, invocation, policy, ct),
                            UsePolicyKey),
                        diagnostic);
                }
            }
        }

        private static async Task<Document> WrapAsync(Document document, InvocationExpressionSyntax invocation, INamedTypeSymbol policy, CancellationToken cancellationToken)
        {
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var generator = editor.Generator;
            var simple = RuntimeImport.CanUseSimpleName(editor.SemanticModel, invocation.SpanStart, policy.Name, cancellationToken);
            var apply = (ExpressionSyntax)generator.InvocationExpression(
                generator.MemberAccessExpression(
                    generator.MemberAccessExpression(RuntimeImport.TypeName(policy.Name, simple), "Default"),
                    "Apply"),
                invocation.WithoutTrivia());
            editor.ReplaceNode(invocation, apply.WithTriviaFrom(invocation));
            return document.WithSyntaxRoot(RuntimeImport.EnsureUsing(editor.GetChangedRoot(), simple));
        }

        private static async Task<Document> UsePolicyAsync(Document document, InvocationExpressionSyntax invocation, INamedTypeSymbol policy, CancellationToken cancellationToken)
        {
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var generator = editor.Generator;
            var simple = RuntimeImport.CanUseSimpleName(editor.SemanticModel, invocation.SpanStart, policy.Name, cancellationToken);
            var target = (ExpressionSyntax)generator.MemberAccessExpression(
                generator.MemberAccessExpression(RuntimeImport.TypeName(policy.Name, simple), "Default"),
                "SetBaggage");
            editor.ReplaceNode(invocation.Expression, target.WithTriviaFrom(invocation.Expression));
            return document.WithSyntaxRoot(RuntimeImport.EnsureUsing(editor.GetChangedRoot(), simple));
        }
    }
}
