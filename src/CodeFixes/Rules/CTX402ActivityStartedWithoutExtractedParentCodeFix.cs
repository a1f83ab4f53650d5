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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace ContextAnalyzers
{
    /// <summary>CTX402: pass the extracted <c>ActivityContext</c> as the activity's <c>parentContext</c>.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX402ActivityStartedWithoutExtractedParentCodeFix))]
    [Shared]
    public sealed class CTX402ActivityStartedWithoutExtractedParentCodeFix : CodeFixProvider
    {
        public const string PassParentKey = "CTX402.PassExtractedParent";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ActivityStartedWithoutExtractedParent);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                if (!diagnostic.Properties.TryGetValue(CTX401ExtractedContextDiscardedAnalyzer.KindProperty, out var kind) || kind != CTX401ExtractedContextDiscardedAnalyzer.ParentKind
                    || !diagnostic.Properties.TryGetValue(CTX401ExtractedContextDiscardedAnalyzer.LocalProperty, out var local) || string.IsNullOrEmpty(local))
                {
                    continue;
                }

                var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
                if (root is null || model is null
                    || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax invocation
                    || Rewrite(invocation, local!, model, context.CancellationToken) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Pass '{local}.ActivityContext' as the parent",
                        ct => FixAsync(context.Document, diagnostic.Location.SourceSpan, local!, ct),
                        PassParentKey),
                    diagnostic);
            }
        }

        private static async Task<Document> FixAsync(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, string local, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root?.FindNode(span, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not InvocationExpressionSyntax invocation || model is null)
            {
                return document;
            }

            var replacement = Rewrite(invocation, local, model, cancellationToken);
            return replacement is null ? document : document.WithSyntaxRoot(root.ReplaceNode(invocation, replacement));
        }

        /// <summary>The invocation with the parent passed, or null when no safe rewrite exists.</summary>
        private static InvocationExpressionSyntax? Rewrite(InvocationExpressionSyntax invocation, string local, SemanticModel model, CancellationToken cancellationToken)
        {
            if (model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
            {
                return null;
            }

            // The local must be in scope at the call.
            if (!model.LookupSymbols(invocation.SpanStart, name: local).Any(s => s is ILocalSymbol))
            {
                return null;
            }

            var types = KnownTypes.Get(model.Compilation);
            var state = PropagationWiring.GetParentState(operation, types, out var parentArgument);
            var isTracer = SymbolEqualityComparer.Default.Equals(operation.TargetMethod.ContainingType?.OriginalDefinition, types.Tracer);
            if (isTracer && (parentArgument is null || parentArgument.Parameter?.Name != "parentContext"))
            {
                return null;
            }

            ExpressionSyntax activityContext = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FixSyntax.IdentifierName(local), SyntaxFactory.IdentifierName("ActivityContext"));
            var parent = isTracer
                ? SyntaxFactory.ObjectCreationExpression(
                    SyntaxFactory.ParseTypeName("global::OpenTelemetry.Trace.SpanContext").WithAdditionalAnnotations(Simplifier.Annotation),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(activityContext))),
                    null)
                : activityContext;

            var arguments = invocation.ArgumentList.Arguments;
            if (state == PropagationWiring.ParentState.ExplicitDefault && parentArgument?.Syntax is ArgumentSyntax given)
            {
                var newArgument = given.WithExpression(parent.WithTriviaFrom(given.Expression));
                if (given.NameColon is { } nameColon && nameColon.Name.Identifier.ValueText == "parentId")
                {
                    newArgument = newArgument.WithNameColon(nameColon.WithName(SyntaxFactory.IdentifierName("parentContext").WithTriviaFrom(nameColon.Name)));
                }

                return invocation.ReplaceNode(given, newArgument);
            }

            if (state != PropagationWiring.ParentState.Omitted)
            {
                return null;
            }

            var named = arguments.Any(a => a.NameColon is not null);
            if (parentArgument?.Parameter is { } parameter)
            {
                // The overload has a parentContext parameter that was left to its default: add it.
                var argument = named || arguments.Count != parameter.Ordinal
                    ? SyntaxFactory.Argument(SyntaxFactory.NameColon("parentContext"), default, parent)
                    : SyntaxFactory.Argument(parent);
                return invocation.WithArgumentList(invocation.ArgumentList.AddArguments(argument));
            }

            // StartActivity(name, kind = Internal): move to StartActivity(name, kind, parentContext).
            var nameArgument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "name");
            var kindArgument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "kind");
            if (nameArgument is null || nameArgument.IsImplicit || kindArgument is null)
            {
                return null;
            }

            // Positional (string, ActivityKind, ActivityContext): with named arguments the call would be ambiguous with
            // the StartActivity(ActivityKind, ActivityContext, .., [CallerMemberName] name) overload.
            var nameSyntax = (nameArgument.Syntax as ArgumentSyntax)?.Expression;
            var kindSyntax = kindArgument.IsImplicit
                ? SyntaxFactory.ParseExpression("global::System.Diagnostics.ActivityKind.Internal").WithAdditionalAnnotations(Simplifier.Annotation)
                : (kindArgument.Syntax as ArgumentSyntax)?.Expression;
            if (nameSyntax is null || kindSyntax is null || operation.Arguments.Any(a => !a.IsImplicit && a != nameArgument && a != kindArgument))
            {
                return null;
            }

            var positional = SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[]
            {
                SyntaxFactory.Argument(nameSyntax),
                SyntaxFactory.Argument(kindSyntax),
                SyntaxFactory.Argument(parent),
            })).WithTriviaFrom(invocation.ArgumentList);
            return invocation.WithArgumentList(positional).WithAdditionalAnnotations(Formatter.Annotation);
        }
    }
}
