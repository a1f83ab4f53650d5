using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers
{
    /// <summary>CTX403: extract from <c>default</c> so the carrier is always read.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX403ExtractIgnoresCarrierCodeFix))]
    [Shared]
    public sealed class CTX403ExtractIgnoresCarrierCodeFix : CodeFixProvider
    {
        public const string PassDefaultKey = "CTX403.PassDefault";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ExtractIgnoresCarrier);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            foreach (var diagnostic in context.Diagnostics)
            {
                if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ArgumentSyntax>() is not ArgumentSyntax argument)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Extract from 'default'",
                        _ =>
                        {
                            // 'default' needs C# 7.1; OpenTelemetry's own samples and every supported SDK default are later.
                            var replacement = SyntaxFactory.LiteralExpression(SyntaxKind.DefaultLiteralExpression);
                            var newArgument = argument.WithExpression(replacement.WithTriviaFrom(argument.Expression));
                            return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(argument, newArgument)));
                        },
                        PassDefaultKey),
                    diagnostic);
            }
        }
    }
}
