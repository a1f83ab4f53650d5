using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
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
    /// CTX201: switch to the flowing API (<c>QueueUserWorkItem</c>, <c>RegisterWaitForSingleObject</c>, <c>Start</c>,
    /// <c>Register</c>) when an overload with the same parameters exists; or, when the unsafe API must stay and the
    /// runtime is referenced, wrap a <c>UnsafeQueueUserWorkItem</c> callback with <c>ContextSnapshot.Capture().Wrap(...)</c>.
    /// Work started under <c>SuppressFlow()</c> gets no fix: the suppression may be deliberate.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX201WorkQueuedWithoutExecutionContextCodeFix))]
    [Shared]
    public sealed class CTX201WorkQueuedWithoutExecutionContextCodeFix : CodeFixProvider
    {
        public const string UseFlowingApiKey = "CTX201.UseFlowingApi";
        public const string WrapWithSnapshotKey = "CTX201.WrapWithSnapshot";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.WorkQueuedWithoutExecutionContext);

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
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                if (node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { Expression: MemberAccessExpressionSyntax access } invocation
                    || model.GetSymbolInfo(invocation, context.CancellationToken).Symbol is not IMethodSymbol method
                    || !method.Name.StartsWith("Unsafe", System.StringComparison.Ordinal))
                {
                    continue;
                }

                var safeName = method.Name.Substring("Unsafe".Length);
                if (HasSameOverload(method, safeName))
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Use '" + safeName + "', which flows the execution context",
                            _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(access.Name, Rename(access.Name, safeName)))),
                            UseFlowingApiKey),
                        diagnostic);
                }

                if (method.Name == "UnsafeQueueUserWorkItem"
                    && method.Parameters.Length == 2
                    && method.Parameters[0].Type.Name == "WaitCallback"
                    && invocation.ArgumentList.Arguments.Count == 2
                    && model.Compilation.GetTypeByMetadataName("ContextAnalyzers.Runtime.ContextSnapshot") is not null)
                {
                    var callback = invocation.ArgumentList.Arguments[0];
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Run the callback under a ContextSnapshot of the caller",
                            _ => Task.FromResult(context.Document.WithSyntaxRoot(CTX20xRuntimeImport.EnsureUsing(root.ReplaceNode(callback, Wrap(callback))))),
                            WrapWithSnapshotKey),
                        diagnostic);
                }
            }
        }

        private static bool HasSameOverload(IMethodSymbol method, string safeName)
            => method.ContainingType.GetMembers(safeName).OfType<IMethodSymbol>().Any(candidate =>
                candidate.IsStatic == method.IsStatic
                && candidate.Parameters.Length == method.Parameters.Length
                && candidate.TypeParameters.Length == method.TypeParameters.Length
                && candidate.Parameters.Zip(method.OriginalDefinition.Parameters, (a, b) => a.Type.ToDisplayString() == b.Type.ToDisplayString()).All(same => same));

        private static SimpleNameSyntax Rename(SimpleNameSyntax name, string safeName)
            => name.WithIdentifier(SyntaxFactory.Identifier(name.Identifier.LeadingTrivia, safeName, name.Identifier.TrailingTrivia));

        private static ArgumentSyntax Wrap(ArgumentSyntax callback)
        {
            var capture = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    SyntaxFactory.IdentifierName("ContextSnapshot"),
                    SyntaxFactory.IdentifierName("Capture")));
            var wrapped = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, capture, SyntaxFactory.IdentifierName("Wrap")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(callback.Expression.WithoutTrivia()))));
            return callback.WithExpression(wrapped.WithTriviaFrom(callback.Expression).WithAdditionalAnnotations(Formatter.Annotation));
        }
    }
}
