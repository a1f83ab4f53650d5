using System.Collections.Generic;
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

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX406: <c>using var a = source.StartActivity(name, kind, parentContext: default);</c> becomes
    /// <c>using var aRoot = RootActivityScope.Start(source, name, kind); var a = aRoot.Activity;</c>: a true root,
    /// current while the scope is open, the previous activity restored on dispose. Offered only for <c>using</c>
    /// declarations and <c>using (..) { }</c> statements (the scope must be disposed) and only when
    /// ContextAnalyzers.Runtime is referenced.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX406DefaultParentIsNotRootCodeFix))]
    [Shared]
    public sealed class CTX406DefaultParentIsNotRootCodeFix : CodeFixProvider
    {
        public const string StartLinkedRootKey = "CTX406.StartLinkedRoot";
        public const string StartRootKey = "CTX406.StartRoot";

        private const string RootScopeName = "RootActivityScope";
        private const string RootScopeMetadataName = RuntimeImport.Namespace + "." + RootScopeName;

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.DefaultParentIsNotRoot);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null || model.Compilation.GetTypeByMetadataName(RootScopeMetadataName) is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                var statement = (StatementSyntax?)node?.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() ?? node?.FirstAncestorOrSelf<UsingStatementSyntax>();
                if (statement is null || Rewrite(statement, model, linkToPrevious: true, context.CancellationToken) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Start a new trace linked to the current activity",
                        ct => ApplyAsync(context.Document, root, statement, model, true, ct),
                        StartLinkedRootKey),
                    diagnostic);
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Start a new trace",
                        ct => ApplyAsync(context.Document, root, statement, model, false, ct),
                        StartRootKey),
                    diagnostic);
            }
        }

        private static Task<Document> ApplyAsync(Document document, SyntaxNode root, StatementSyntax statement, SemanticModel model, bool linkToPrevious, CancellationToken cancellationToken)
        {
            var replacement = Rewrite(statement, model, linkToPrevious, cancellationToken);
            var simple = RuntimeImport.CanUseSimpleName(model, statement.SpanStart, RootScopeName, cancellationToken);
            return Task.FromResult(replacement is null ? document : document.WithSyntaxRoot(RuntimeImport.EnsureUsing(root.ReplaceNode(statement, (IEnumerable<SyntaxNode>)replacement), simple)));
        }

        /// <summary>The statements that replace <paramref name="statement"/>, or null when the shape is not handled.</summary>
        private static IEnumerable<StatementSyntax>? Rewrite(StatementSyntax statement, SemanticModel model, bool linkToPrevious, CancellationToken cancellationToken)
        {
            var declaration = statement switch
            {
                LocalDeclarationStatementSyntax local when !local.UsingKeyword.IsKind(SyntaxKind.None) && local.Parent is BlockSyntax => local.Declaration,
                UsingStatementSyntax { Declaration: { } d, Statement: BlockSyntax, Parent: BlockSyntax or SwitchSectionSyntax } => d, // a statement list: one statement becomes two
                _ => null,
            };
            if (declaration is null
                || declaration.Variables.Count != 1
                || declaration.Variables[0].Initializer?.Value is not InvocationExpressionSyntax invocation)
            {
                return null;
            }

            var variable = declaration.Variables[0];
            var scopeName = FixSyntax.FreshLocalName(model, statement, statement.SpanStart, variable.Identifier.ValueText + "Root");
            var start = BuildStart(invocation, model, linkToPrevious, RuntimeImport.CanUseSimpleName(model, statement.SpanStart, RootScopeName, cancellationToken), cancellationToken);
            if (start is null)
            {
                return null;
            }

            var scopeDeclaration = declaration
                .WithType(SyntaxFactory.IdentifierName("var").WithTriviaFrom(declaration.Type))
                .WithVariables(SyntaxFactory.SingletonSeparatedList(variable
                    .WithIdentifier(FixSyntax.Identifier(scopeName).WithTriviaFrom(variable.Identifier))
                    .WithInitializer(variable.Initializer!.WithValue(start))));
            var activityStatement = SyntaxFactory.LocalDeclarationStatement(
                    SyntaxFactory.VariableDeclaration(
                        declaration.Type.WithoutTrivia(),
                        SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(variable.Identifier.WithoutTrivia())
                            .WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FixSyntax.IdentifierName(scopeName), SyntaxFactory.IdentifierName("Activity")))))))
                .WithAdditionalAnnotations(Formatter.Annotation);

            if (statement is UsingStatementSyntax usingStatement)
            {
                var block = (BlockSyntax)usingStatement.Statement;
                return new StatementSyntax[]
                {
                    usingStatement
                        .WithDeclaration(scopeDeclaration)
                        .WithStatement(block.WithStatements(block.Statements.Insert(0, activityStatement)))
                        .WithAdditionalAnnotations(Formatter.Annotation),
                };
            }

            var localStatement = (LocalDeclarationStatementSyntax)statement;
            return new StatementSyntax[]
            {
                localStatement
                    .WithDeclaration(scopeDeclaration)
                    .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)
                    .WithAdditionalAnnotations(Formatter.Annotation),
                activityStatement.WithTrailingTrivia(localStatement.GetTrailingTrivia()),
            };
        }

        /// <summary><c>RootActivityScope.Start(source, name, kind, ...)</c> for a <c>source.StartActivity(...)</c> call, or null.</summary>
        private static InvocationExpressionSyntax? BuildStart(InvocationExpressionSyntax invocation, SemanticModel model, bool linkToPrevious, bool simple, CancellationToken cancellationToken)
        {
            if (invocation.Expression is not MemberAccessExpressionSyntax access
                || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation { TargetMethod.Name: "StartActivity" } operation)
            {
                return null;
            }

            var arguments = new List<ArgumentSyntax> { SyntaxFactory.Argument(access.Expression.WithoutTrivia()) };
            var nameArgument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "name");
            if (nameArgument is null || nameArgument.IsImplicit || nameArgument.Syntax is not ArgumentSyntax nameSyntax)
            {
                return null;
            }

            arguments.Add(SyntaxFactory.Argument(nameSyntax.Expression.WithoutTrivia()));
            var kindArgument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "kind");
            if (kindArgument is not null && !kindArgument.IsImplicit && kindArgument.Syntax is ArgumentSyntax kindSyntax)
            {
                arguments.Add(SyntaxFactory.Argument(kindSyntax.Expression.WithoutTrivia()));
            }

            if (!linkToPrevious)
            {
                arguments.Add(SyntaxFactory.Argument(SyntaxFactory.NameColon("linkToPrevious"), default, SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression)));
            }

            foreach (var argument in operation.Arguments)
            {
                var parameter = argument.Parameter?.Name;
                if (argument.IsImplicit || parameter is "name" or "kind" or "parentContext")
                {
                    continue;
                }

                if (parameter is not ("tags" or "links" or "startTime") || argument.Syntax is not ArgumentSyntax other)
                {
                    return null;
                }

                arguments.Add(SyntaxFactory.Argument(SyntaxFactory.NameColon(parameter), default, other.Expression.WithoutTrivia()));
            }

            return SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    RuntimeImport.TypeExpression(RootScopeName, simple),
                    SyntaxFactory.IdentifierName("Start")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)));
        }
    }
}
