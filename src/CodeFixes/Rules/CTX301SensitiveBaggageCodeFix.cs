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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// Fixes for CTX301 (sensitive key) and CTX302 (sensitive value):
    /// (a) propagate a keyed pseudonym: wrap the value in <c>BaggagePolicy.Pseudonymize(...)</c> (runtime referenced only);
    /// (b) keep it local: a statement-level write becomes <c>Activity.Current?.SetTag(key, value)</c> (or
    /// <c>activity.SetTag</c> for activity baggage); (c) remove a statement-level write.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX301SensitiveBaggageCodeFix))]
    [Shared]
    public sealed class CTX301SensitiveBaggageCodeFix : CodeFixProvider
    {
        public const string KeyPseudonymizeKey = "CTX301.Pseudonymize";
        public const string KeyKeepLocalKey = "CTX301.KeepLocal";
        public const string KeyRemoveKey = "CTX301.Remove";
        public const string ValuePseudonymizeKey = "CTX302.Pseudonymize";
        public const string ValueKeepLocalKey = "CTX302.KeepLocal";
        public const string ValueRemoveKey = "CTX302.Remove";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } =
            ImmutableArray.Create(DiagnosticIds.SensitiveBaggageKey, DiagnosticIds.SensitiveBaggageValue);

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
                var isKey = diagnostic.Id == DiagnosticIds.SensitiveBaggageKey;
                var invocation = Find<InvocationExpressionSyntax>(root, diagnostic, 0);
                if (invocation is null)
                {
                    continue;
                }

                var value = Find<ExpressionSyntax>(root, diagnostic, 1);
                if (value is not null && model.Compilation.GetTypeByMetadataName(CTX301SensitiveBaggageAnalyzer.BaggagePolicyMetadataName) is { } policy)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Propagate a keyed pseudonym (BaggagePolicy.Pseudonymize)",
                            ct => PseudonymizeAsync(context.Document, value, policy, ct),
                            isKey ? KeyPseudonymizeKey : ValuePseudonymizeKey),
                        diagnostic);
                }

                diagnostic.Properties.TryGetValue(CTX301SensitiveBaggageAnalyzer.WriteKindProperty, out var writeKind);
                if (writeKind == CTX301SensitiveBaggageAnalyzer.WriteElement)
                {
                    if (diagnostic.AdditionalLocations.Count > 2 && diagnostic.AdditionalLocations[2].SourceTree == root.SyntaxTree &&
                        root.FindNode(diagnostic.AdditionalLocations[2].SourceSpan, getInnermostNodeForTie: false) is { Parent: InitializerExpressionSyntax or CollectionExpressionSyntax } element)
                    {
                        context.RegisterCodeFix(
                            CodeAction.Create(
                                "Remove the baggage entry",
                                ct => RemoveElementAsync(context.Document, element, ct),
                                isKey ? KeyRemoveKey : ValueRemoveKey),
                            diagnostic);
                    }

                    continue;
                }

                if (writeKind is null || invocation.Parent is not ExpressionStatementSyntax statement)
                {
                    if (writeKind is null || invocation.Parent is not ConditionalAccessExpressionSyntax { Parent: ExpressionStatementSyntax conditionalStatement })
                    {
                        continue;
                    }

                    statement = conditionalStatement;
                }

                // The write may be read back in the same member (GetBaggage / GetBaggageItem / Baggage.Current): then a
                // tag or no write changes what that code sees, so neither (b) nor (c) is offered.
                if (ReadsBaggageLocally(statement, model, context.CancellationToken))
                {
                    continue;
                }

                var activity = model.Compilation.GetTypeByMetadataName("System.Diagnostics.Activity");
                if (activity is not null && (writeKind == CTX301SensitiveBaggageAnalyzer.WriteActivity ||
                    (writeKind == CTX301SensitiveBaggageAnalyzer.WriteStatic && KeyAndValue(invocation) is not null)))
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Keep it local: tag the current activity instead of setting baggage",
                            ct => KeepLocalAsync(context.Document, invocation, writeKind, activity, ct),
                            isKey ? KeyKeepLocalKey : ValueKeepLocalKey),
                        diagnostic);
                }

                if (statement.Parent is BlockSyntax or SwitchSectionSyntax)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Remove the baggage write",
                            ct => RemoveAsync(context.Document, statement, ct),
                            isKey ? KeyRemoveKey : ValueRemoveKey),
                        diagnostic);
                }
            }
        }

        private static bool ReadsBaggageLocally(SyntaxNode statement, SemanticModel model, CancellationToken cancellationToken)
        {
            var body = statement.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax);
            if (body is null)
            {
                return true;
            }

            foreach (var name in body.DescendantNodes().OfType<SimpleNameSyntax>())
            {
                switch (name.Identifier.ValueText)
                {
                    case "GetBaggage":
                    case "GetBaggageItem":
                        return true;
                    case "Baggage":
                    case "Current":
                        if (model.GetSymbolInfo(name, cancellationToken).Symbol is IPropertySymbol property &&
                            ((property.Name == "Baggage" && SymbolEqualityComparer.Default.Equals(property.ContainingType, model.Compilation.GetTypeByMetadataName("System.Diagnostics.Activity"))) ||
                             (property.Name == "Current" && SymbolEqualityComparer.Default.Equals(property.ContainingType, model.Compilation.GetTypeByMetadataName("OpenTelemetry.Baggage")))))
                        {
                            return true;
                        }

                        break;
                }
            }

            return false;
        }

        private static T? Find<T>(SyntaxNode root, Diagnostic diagnostic, int index)
            where T : SyntaxNode
        {
            var locations = diagnostic.AdditionalLocations;
            if (index >= locations.Count || !locations[index].IsInSource || locations[index].SourceTree != root.SyntaxTree)
            {
                return null;
            }

            var span = locations[index].SourceSpan;
            var node = root.FindNode(span, getInnermostNodeForTie: true);
            for (var n = node; n is not null && n.Span == span; n = n.Parent)
            {
                if (n is T match)
                {
                    return match;
                }
            }

            return null;
        }

        private static async Task<Document> PseudonymizeAsync(Document document, ExpressionSyntax value, INamedTypeSymbol policy, CancellationToken cancellationToken)
        {
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var generator = editor.Generator;
            var simple = RuntimeImport.CanUseSimpleName(editor.SemanticModel, value.SpanStart, policy.Name, cancellationToken);
            var call = (ExpressionSyntax)generator.InvocationExpression(
                generator.MemberAccessExpression(RuntimeImport.TypeExpression(policy.Name, simple), "Pseudonymize"),
                value.WithoutTrivia());
            editor.ReplaceNode(value, call.WithTriviaFrom(value));
            return document.WithSyntaxRoot(RuntimeImport.EnsureUsing(editor.GetChangedRoot(), simple));
        }

        private static async Task<Document> KeepLocalAsync(Document document, InvocationExpressionSyntax invocation, string writeKind, INamedTypeSymbol activity, CancellationToken cancellationToken)
        {
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            if (writeKind == CTX301SensitiveBaggageAnalyzer.WriteActivity)
            {
                // activity.AddBaggage(k, v) / Activity.Current?.SetBaggage(k, v): same receiver, a tag instead.
                SimpleNameSyntax? name = invocation.Expression switch
                {
                    MemberAccessExpressionSyntax member => member.Name,
                    MemberBindingExpressionSyntax binding => binding.Name,
                    _ => null,
                };
                if (name is not null)
                {
                    editor.ReplaceNode(name, SyntaxFactory.IdentifierName("SetTag").WithTriviaFrom(name));
                }

                return editor.GetChangedDocument();
            }

            var (key, value) = KeyAndValue(invocation)!.Value;
            var generator = editor.Generator;
            var current = (ExpressionSyntax)generator.MemberAccessExpression(
                generator.TypeExpression(activity).WithAdditionalAnnotations(Simplifier.AddImportsAnnotation, Simplifier.Annotation),
                "Current");
            var setTag = SyntaxFactory.ConditionalAccessExpression(
                current,
                SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberBindingExpression(SyntaxFactory.IdentifierName("SetTag")),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[]
                    {
                        SyntaxFactory.Argument(key.WithoutTrivia()),
                        SyntaxFactory.Argument(value.WithoutTrivia()),
                    }))));
            editor.ReplaceNode(invocation, setTag.WithTriviaFrom(invocation).WithAdditionalAnnotations(Formatter.Annotation));
            return editor.GetChangedDocument();
        }

        /// <summary>The key and value of <c>Baggage.SetBaggage(name, value)</c>, positional or named.</summary>
        private static (ExpressionSyntax Key, ExpressionSyntax Value)? KeyAndValue(InvocationExpressionSyntax invocation)
        {
            var arguments = invocation.ArgumentList.Arguments;
            if (arguments.Count != 2)
            {
                return null;
            }

            ExpressionSyntax? key = null;
            ExpressionSyntax? value = null;
            for (var i = 0; i < arguments.Count; i++)
            {
                var argument = arguments[i];
                var name = argument.NameColon?.Name.Identifier.ValueText;
                if (name == "name" || (name is null && i == 0))
                {
                    key = argument.Expression;
                }
                else if (name == "value" || (name is null && i == 1))
                {
                    value = argument.Expression;
                }
            }

            return key is not null && value is not null ? (key, value) : null;
        }

        private static async Task<Document> RemoveElementAsync(Document document, SyntaxNode element, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || element.Parent is not { } list)
            {
                return document;
            }

            var marker = new SyntaxAnnotation();
            root = root.ReplaceNode(list, list.WithAdditionalAnnotations(marker));
            var marked = root.GetAnnotatedNodes(marker).First();
            var target = marked.ChildNodes().First(n => n.Span == element.Span);
            var newRoot = root.RemoveNode(target, SyntaxRemoveOptions.KeepNoTrivia)!;
            var newList = newRoot.GetAnnotatedNodes(marker).First();
            return document.WithSyntaxRoot(newRoot.ReplaceNode(newList, newList.WithAdditionalAnnotations(Formatter.Annotation)));
        }

        private static async Task<Document> RemoveAsync(Document document, ExpressionStatementSyntax statement, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            // Comments above the write stay (without the write's own indentation); whitespace-only trivia goes with it.
            var leading = statement.GetLeadingTrivia();
            if (!leading.Any(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia)))
            {
                return document.WithSyntaxRoot(root.RemoveNode(statement, SyntaxRemoveOptions.KeepUnbalancedDirectives)!);
            }

            var kept = leading.Count > 0 && leading.Last().IsKind(SyntaxKind.WhitespaceTrivia) ? leading.RemoveAt(leading.Count - 1) : leading;
            var marker = new SyntaxAnnotation();
            root = root.ReplaceNode(statement, statement.WithLeadingTrivia(kept).WithAdditionalAnnotations(marker));
            var marked = root.GetAnnotatedNodes(marker).First();
            return document.WithSyntaxRoot(root.RemoveNode(marked, SyntaxRemoveOptions.KeepUnbalancedDirectives | SyntaxRemoveOptions.KeepLeadingTrivia)!);
        }
    }
}
