using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX205: <c>new Timer(callback, state, dueTime, period)</c> → <c>ContextTimer.Create(callback, state, dueTime, period)</c>,
    /// which creates the same timer without capturing the execution context (ticks run in the default context, so
    /// what they start is a root). Offered when ContextAnalyzers.Runtime is referenced and the times are
    /// <c>int</c> or <c>TimeSpan</c>.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX205TimerCapturesContextCodeFix))]
    [Shared]
    public sealed class CTX205TimerCapturesContextCodeFix : CodeFixProvider
    {
        public const string UseContextTimerKey = "CTX205.UseContextTimer";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.TimerCapturesContext);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null || model.Compilation.GetTypeByMetadataName("ContextAnalyzers.Runtime.ContextTimer") is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<BaseObjectCreationExpressionSyntax>() is not { ArgumentList.Arguments.Count: 4 } creation
                    || model.GetSymbolInfo(creation, context.CancellationToken).Symbol is not IMethodSymbol constructor
                    || constructor.Parameters.Length != 4
                    || constructor.Parameters[2].Type.SpecialType != SpecialType.System_Int32 && constructor.Parameters[2].Type.Name != "TimeSpan"
                    || creation.ArgumentList.Arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None)))
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Create the timer with ContextTimer (no captured context)",
                        ct =>
                        {
                            var simple = RuntimeImport.CanUseSimpleName(model, creation.SpanStart, "ContextTimer", ct);
                            var call = SyntaxFactory.InvocationExpression(
                                    SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, RuntimeImport.TypeExpression("ContextTimer", simple), SyntaxFactory.IdentifierName("Create")),
                                    creation.ArgumentList!)
                                .WithTriviaFrom(creation)
                                .WithAdditionalAnnotations(Formatter.Annotation);
                            return Task.FromResult(context.Document.WithSyntaxRoot(RuntimeImport.EnsureUsing(root.ReplaceNode(creation, call), simple)));
                        },
                        UseContextTimerKey),
                    diagnostic);
            }
        }
    }
}
