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
using Microsoft.CodeAnalysis.Simplification;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX404: add <c>new BaggagePropagator()</c> to the composite (array, <c>new[] { }</c> or collection initializer),
    /// or wrap a bare <c>TraceContextPropagator</c> in a composite that has both.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX404BaggagePropagatorMissingCodeFix))]
    [Shared]
    public sealed class CTX404BaggagePropagatorMissingCodeFix : CodeFixProvider
    {
        public const string AddBaggagePropagatorKey = "CTX404.AddBaggagePropagator";

        private const string Namespace = "global::OpenTelemetry.Context.Propagation.";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.BaggagePropagatorMissing);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
                var creation = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ObjectCreationExpressionSyntax>();
                if (creation is null || Rewrite(creation, model, context.CancellationToken) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Add a BaggagePropagator",
                        ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(creation, Rewrite(creation, model, ct)!))),
                        AddBaggagePropagatorKey),
                    diagnostic);
            }
        }

        private static SyntaxNode? Rewrite(ObjectCreationExpressionSyntax creation, SemanticModel model, CancellationToken cancellationToken)
        {
            var types = KnownTypes.Get(model.Compilation);
            var type = model.GetTypeInfo(creation, cancellationToken).Type?.OriginalDefinition;
            var baggage = SyntaxFactory.ObjectCreationExpression(
                SyntaxFactory.ParseTypeName(Namespace + "BaggagePropagator").WithAdditionalAnnotations(Simplifier.Annotation),
                SyntaxFactory.ArgumentList(),
                null);
            if (SymbolEqualityComparer.Default.Equals(type, types.TraceContextPropagator))
            {
                var array = SyntaxFactory.ArrayCreationExpression(
                    PropagatorArrayType(),
                    SyntaxFactory.InitializerExpression(SyntaxKind.ArrayInitializerExpression, SyntaxFactory.SeparatedList(new ExpressionSyntax[] { creation.WithoutTrivia(), baggage })));
                return SyntaxFactory.ObjectCreationExpression(
                        SyntaxFactory.ParseTypeName(Namespace + "CompositeTextMapPropagator").WithAdditionalAnnotations(Simplifier.Annotation),
                        SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(array))),
                        null)
                    .WithTriviaFrom(creation)
                    .WithAdditionalAnnotations(Formatter.Annotation);
            }

            if (!SymbolEqualityComparer.Default.Equals(type, types.CompositeTextMapPropagator) || creation.ArgumentList?.Arguments.Count != 1)
            {
                return null;
            }

            if (creation.ArgumentList.Arguments[0].Expression is ImplicitArrayCreationExpressionSyntax implicitArray)
            {
                // new[] { new TraceContextPropagator() } is a TraceContextPropagator[]: it needs an explicit element type.
                var explicitArray = SyntaxFactory.ArrayCreationExpression(
                        PropagatorArrayType(),
                        implicitArray.Initializer.WithExpressions(implicitArray.Initializer.Expressions.Add(baggage)))
                    .WithTriviaFrom(implicitArray)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return creation.ReplaceNode(implicitArray, explicitArray);
            }

            var initializer = creation.ArgumentList.Arguments[0].Expression switch
            {
                ArrayCreationExpressionSyntax a => a.Initializer,
                ObjectCreationExpressionSyntax o => o.Initializer,
                _ => null,
            };
            if (initializer is null)
            {
                return null;
            }

            return creation.ReplaceNode(initializer, initializer.WithExpressions(initializer.Expressions.Add(baggage)).WithAdditionalAnnotations(Formatter.Annotation));
        }

        private static ArrayTypeSyntax PropagatorArrayType()
            => SyntaxFactory.ArrayType(
                SyntaxFactory.ParseTypeName(Namespace + "TextMapPropagator").WithAdditionalAnnotations(Simplifier.Annotation),
                SyntaxFactory.SingletonList(SyntaxFactory.ArrayRankSpecifier(SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(SyntaxFactory.OmittedArraySizeExpression()))));
    }
}
