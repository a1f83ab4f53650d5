using System.Collections.Generic;
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
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX204: in an async function, <c>await</c> the dropped task (a statement <c>Task.Run(...);</c> or
    /// <c>_ = SendAsync();</c>); otherwise, with ContextAnalyzers.Runtime referenced, run the work through
    /// <c>DetachedWork.Run(source, name, ...)</c> (a new root linked to the caller's span), reusing the
    /// <c>ActivitySource</c> the live activity was started from.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX204FireAndForgetOutlivesSpanCodeFix))]
    [Shared]
    public sealed class CTX204FireAndForgetOutlivesSpanCodeFix : CodeFixProvider
    {
        public const string AwaitKey = "CTX204.Await";
        public const string UseDetachedWorkKey = "CTX204.UseDetachedWork";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.FireAndForgetOutlivesSpan);

        public override FixAllProvider GetFixAllProvider() => DocumentFixAll.Create(FixDocumentAsync);

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
                var diagnostics = ImmutableArray.Create(diagnostic);
                if (Plan(root, model, diagnostic, AwaitKey, context.CancellationToken) is not null)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create("Await the work before the activity ends", ct => FixDocumentAsync(context.Document, diagnostics, AwaitKey, ct), AwaitKey),
                        diagnostic);
                }

                if (Plan(root, model, diagnostic, UseDetachedWorkKey, context.CancellationToken) is not null)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create("Run it as detached work linked to this span", ct => FixDocumentAsync(context.Document, diagnostics, UseDetachedWorkKey, ct), UseDetachedWorkKey),
                        diagnostic);
                }
            }
        }

        /// <summary>Every diagnostic of <paramref name="diagnostics"/> that the fix <paramref name="key"/> applies to, in one rewrite.</summary>
        private static async Task<Document> FixDocumentAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return document;
            }

            var edits = new List<DocumentFixAll.Edit>();
            foreach (var diagnostic in diagnostics)
            {
                if (Plan(root, model, diagnostic, key, cancellationToken) is { } edit)
                {
                    edits.Add(edit);
                }
            }

            return DocumentFixAll.Apply(document, root, edits);
        }

        /// <summary>The edit of the fix <paramref name="key"/> for <paramref name="diagnostic"/>, or null when that fix does not apply.</summary>
        private static DocumentFixAll.Edit? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken)
        {
            // A call whose callee starts the work (the additional location) has no task here to await or detach.
            if (diagnostic.AdditionalLocations.Count > 0)
            {
                return null;
            }

            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
                || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation
                || !IsAwaitable(operation.TargetMethod.ReturnType))
            {
                return null;
            }

            // The statement that drops the task: `X();` or `_ = X();`.
            var statement = invocation.Parent switch
            {
                ExpressionStatementSyntax s => s,
                AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax s } => s,
                _ => null,
            };

            if (key == AwaitKey)
            {
                return statement is not null && IsInAsyncFunction(operation)
                    ? new DocumentFixAll.Edit(
                        statement,
                        node => SyntaxFactory.ExpressionStatement(SyntaxFactory.AwaitExpression(DroppedCall((ExpressionStatementSyntax)node).WithoutTrivia()))
                            .WithTriviaFrom(node)
                            .WithAdditionalAnnotations(Formatter.Annotation),
                        namesRuntimeBySimpleName: false)
                    : null;
            }

            var isRun = IsTaskRun(invocation, operation);
            if (key != UseDetachedWorkKey
                || model.Compilation.GetTypeByMetadataName("ContextAnalyzers.Runtime.DetachedWork") is null
                || (statement is null && !IsPlainTask(operation.TargetMethod.ReturnType))
                || ActivitySourceOf(operation, cancellationToken) is not { } source
                || Work(invocation, isRun) is null)
            {
                return null;
            }

            var name = invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Run" or "StartNew" }
                ? (EnclosingMemberName(invocation) ?? "background") + ".detached"
                : MethodName(invocation.Expression);
            var simple = RuntimeImport.CanUseSimpleName(model, invocation.SpanStart, "DetachedWork", cancellationToken);
            SyntaxNode target = statement is not null && invocation.Parent is AssignmentExpressionSyntax discard ? discard : invocation;
            return new DocumentFixAll.Edit(
                target,
                node =>
                {
                    // The node with the edits nested in it applied: the call is built again from it.
                    var call = node is AssignmentExpressionSyntax assignment ? (InvocationExpressionSyntax)assignment.Right : (InvocationExpressionSyntax)node;
                    var detached = SyntaxFactory.InvocationExpression(
                        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, RuntimeImport.TypeExpression("DetachedWork", simple), SyntaxFactory.IdentifierName("Run")),
                        DetachedArguments(call, source, name, Work(call, isRun)!));
                    return node is AssignmentExpressionSyntax discarded
                        ? discarded.WithRight(detached.WithTriviaFrom(call)).WithAdditionalAnnotations(Formatter.Annotation)
                        : detached.WithTriviaFrom(call).WithAdditionalAnnotations(Formatter.Annotation);
                },
                simple);
        }

        /// <summary>The call of <c>X();</c> or <c>_ = X();</c>.</summary>
        private static ExpressionSyntax DroppedCall(ExpressionStatementSyntax statement)
            => statement.Expression is AssignmentExpressionSyntax assignment ? assignment.Right : statement.Expression;

        /// <summary><c>Task.Run(..)</c> or <c>Task.Factory.StartNew(..)</c>: the work is the lambda, not the call.</summary>
        private static bool IsTaskRun(InvocationExpressionSyntax invocation, IInvocationOperation operation)
            => invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Run" or "StartNew" }
                && operation.TargetMethod.ContainingType?.Name is "Task" or "TaskFactory";

        private static bool IsAwaitable(ITypeSymbol type)
            => type.Name is "Task" or "ValueTask" && type.ContainingNamespace?.ToString() == "System.Threading.Tasks";

        private static bool IsPlainTask(ITypeSymbol type)
            => type is INamedTypeSymbol { Name: "Task", Arity: 0 } && type.ContainingNamespace?.ToString() == "System.Threading.Tasks";

        private static bool IsInAsyncFunction(IOperation operation)
        {
            var function = Flow.FlowOperations.EnclosingFunction(operation);
            return function switch
            {
                IAnonymousFunctionOperation lambda => lambda.Symbol.IsAsync,
                ILocalFunctionOperation local => local.Symbol.IsAsync,
                _ => operation.SemanticModel?.GetEnclosingSymbol(operation.Syntax.SpanStart) is IMethodSymbol { IsAsync: true },
            };
        }

        /// <summary>The receiver of the live activity's <c>StartActivity</c> call, when it is a simple name or member access.</summary>
        private static ExpressionSyntax? ActivitySourceOf(IOperation operation, CancellationToken cancellationToken)
        {
            var start = Flow.LiveActivity.At(operation, Flow.FlowGraphSource.Uncached(cancellationToken))?.StartCall;
            return start is { TargetMethod.Name: "StartActivity", Instance: IFieldReferenceOperation or IPropertyReferenceOperation or ILocalReferenceOperation or IParameterReferenceOperation }
                && start.Instance.Syntax is IdentifierNameSyntax or MemberAccessExpressionSyntax
                ? (ExpressionSyntax)start.Instance.Syntax
                : null;
        }

        /// <summary>
        /// <c>(source, "name", work)</c>. When the work was the lambda of <c>Task.Run(..)</c>, the comments of that call's
        /// argument list stay: what followed its open parenthesis now follows the comma before the work, and its close
        /// parenthesis is kept.
        /// </summary>
        private static ArgumentListSyntax DetachedArguments(InvocationExpressionSyntax invocation, ExpressionSyntax source, string name, ExpressionSyntax work)
        {
            var isRun = invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Run" or "StartNew" };
            var original = invocation.ArgumentList;
            var beforeWork = isRun && original.OpenParenToken.TrailingTrivia.Any() ? original.OpenParenToken.TrailingTrivia : SyntaxFactory.TriviaList(SyntaxFactory.Space);
            var arguments = SyntaxFactory.SeparatedList(
                new[]
                {
                    SyntaxFactory.Argument(source.WithoutTrivia()),
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(name))),
                    SyntaxFactory.Argument(work),
                },
                new[]
                {
                    SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space),
                    SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(beforeWork),
                });
            return isRun
                ? original.WithOpenParenToken(original.OpenParenToken.WithTrailingTrivia()).WithArguments(arguments)
                : SyntaxFactory.ArgumentList(arguments);
        }

        /// <summary>The work as a <c>CancellationToken</c> lambda: <c>Task.Run(() => x)</c> → <c>_ => x</c>; <c>SendAsync()</c> → <c>_ => SendAsync()</c>.</summary>
        private static ExpressionSyntax? Work(InvocationExpressionSyntax invocation, bool isRun)
        {
            if (isRun)
            {
                if (invocation.ArgumentList.Arguments.Count != 1
                    || invocation.ArgumentList.Arguments[0].Expression is not ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 0 } lambda)
                {
                    return null;
                }

                // The lambda keeps its comments (on the arrow, around it).
                return SyntaxFactory.SimpleLambdaExpression(SyntaxFactory.Parameter(SyntaxFactory.Identifier("_")))
                    .WithAsyncKeyword(lambda.AsyncKeyword)
                    .WithArrowToken(lambda.ArrowToken)
                    .WithBlock(lambda.Block)
                    .WithExpressionBody(lambda.ExpressionBody)
                    .WithTriviaFrom(lambda);
            }

            return SyntaxFactory.SimpleLambdaExpression(SyntaxFactory.Parameter(SyntaxFactory.Identifier("_")), invocation.WithoutTrivia());
        }

        private static string MethodName(ExpressionSyntax expression) => expression switch
        {
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            SimpleNameSyntax name => name.Identifier.ValueText,
            _ => "background",
        };

        private static string? EnclosingMemberName(SyntaxNode node)
        {
            foreach (var ancestor in node.Ancestors())
            {
                switch (ancestor)
                {
                    case LocalFunctionStatementSyntax local:
                        return local.Identifier.ValueText;
                    case MethodDeclarationSyntax method:
                        return method.Identifier.ValueText;
                    case PropertyDeclarationSyntax property:
                        return property.Identifier.ValueText;
                }
            }

            return null;
        }
    }
}
