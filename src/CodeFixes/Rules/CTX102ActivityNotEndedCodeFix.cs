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
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX102 fixes. <b>Use a using declaration</b>: <c>var a = Start(..)</c> becomes <c>using var a = Start(..)</c>, and a
    /// discarded start becomes <c>using var activity = Start(..)</c>. <b>End it in finally</b>: when the block ends the local
    /// with a statement of its own (<c>a?.Stop();</c>), the statements between the start and that end move into a
    /// <c>try</c> and the end statement into its <c>finally</c> (the activity still ends where it did).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX102ActivityNotEndedCodeFix)), Shared]
    public sealed class CTX102ActivityNotEndedCodeFix : CodeFixProvider
    {
        public const string UseUsingKey = "CTX102.UseUsing";
        public const string EndInFinallyKey = "CTX102.EndInFinally";
        public const string UseUsingBlockKey = "CTX102.UseUsingBlock";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ActivityNotEnded);

        public override FixAllProvider GetFixAllProvider() => SequentialFixAll.Create(ApplyAsync);

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
                if (!diagnostic.Properties.TryGetValue(CTX102ActivityNotEndedAnalyzer.ReasonProperty, out var reason) || reason == CTX102ActivityNotEndedAnalyzer.ReasonOverwritten)
                {
                    continue;
                }

                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                foreach (var key in new[] { UseUsingKey, UseUsingBlockKey, EndInFinallyKey })
                {
                    if (Plan(node, model, key, context.CancellationToken) is not null)
                    {
                        var title = key switch
                        {
                            UseUsingKey => "Use a using declaration",
                            UseUsingBlockKey => "Use a using block that ends where it ended",
                            _ => "End it in a finally",
                        };
                        context.RegisterCodeFix(
                            CodeAction.Create(title, ct => ApplyAsync(context.Document, diagnostic.Location.SourceSpan, key, ct), key),
                            diagnostic);
                    }
                }
            }
        }

        private static async Task<Document> ApplyAsync(Document document, TextSpan span, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return document;
            }

            var plan = Plan(root.FindNode(span, getInnermostNodeForTie: true), model, key, cancellationToken);
            return plan is null ? document : document.WithSyntaxRoot(plan(root));
        }

        private static System.Func<SyntaxNode, SyntaxNode>? Plan(SyntaxNode node, SemanticModel model, string key, CancellationToken cancellationToken)
        {
            if (((CSharpParseOptions)node.SyntaxTree.Options).LanguageVersion < LanguageVersion.CSharp8 || node is not ExpressionSyntax start)
            {
                return null;
            }

            // Walk up the fluent chain (Start(..)?.SetTag(..)) to the expression the statement holds.
            ExpressionSyntax top = start;
            while (top.Parent is ConditionalAccessExpressionSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or MemberBindingExpressionSyntax
                   && top.Parent is ExpressionSyntax parentExpression)
            {
                top = parentExpression;
            }

            // `a.Start();` / `a?.Start();` on a local declared with one declarator in a block: that declaration becomes `using var`.
            if (top.Parent is ExpressionStatementSyntax && IsStartOnLocal(start, model, cancellationToken))
            {
                var receiver = start switch
                {
                    InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => access.Expression,
                    ConditionalAccessExpressionSyntax conditional => conditional.Expression,
                    _ => null,
                };
                if (receiver is not null
                    && model.GetSymbolInfo(receiver, cancellationToken).Symbol is ILocalSymbol startedLocal
                    && startedLocal.DeclaringSyntaxReferences.Length == 1
                    && startedLocal.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax
                    {
                        Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, Parent: BlockSyntax declaredIn } startedDeclaration },
                    })
                {
                    return key == UseUsingKey ? PlanUsing(startedDeclaration, declaredIn, startedLocal, model, cancellationToken) : null;
                }

                return null;
            }


            // Discarded: `Start(..);` or `_ = Start(..);`
            if (top.Parent is ExpressionStatementSyntax discarded && discarded.Parent is BlockSyntax
                || top.Parent is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard && discard.Right == top
                   && discard.Parent is ExpressionStatementSyntax { Parent: BlockSyntax })
            {
                if (key != UseUsingKey)
                {
                    return null;
                }

                var statement = (ExpressionStatementSyntax)(top.Parent is ExpressionStatementSyntax ? top.Parent : top.Parent!.Parent!);
                if (model.GetSymbolInfo(top.Parent is AssignmentExpressionSyntax assignment ? assignment.Left : top, cancellationToken).Symbol is ILocalSymbol or IFieldSymbol)
                {
                    return null; // `_` is a real variable here
                }

                var type = model.GetTypeInfo(top, cancellationToken).Type;
                var name = FixSyntax.FreshLocalName(model, statement, statement.SpanStart, type?.Name == "TelemetrySpan" ? "span" : "activity");
                return root =>
                {
                    var declaration = LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"), SingletonSeparatedList(
                            VariableDeclarator(FixSyntax.Identifier(name)).WithInitializer(EqualsValueClause(top.WithoutTrivia())))))
                        .WithUsingKeyword(Token(SyntaxKind.UsingKeyword))
                        .WithTriviaFrom(statement)
                        .WithAdditionalAnnotations(Formatter.Annotation);
                    return root.ReplaceNode(statement, declaration);
                };
            }

            // Declared: `var a = Start(..);` (one declarator, in a block).
            if (top.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                && declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1 } declaration
                && declaration.Parent is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0, AwaitKeyword.RawKind: 0 } local
                && local.Parent is BlockSyntax block
                && model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol symbol)
            {
                return key == UseUsingKey
                    ? PlanUsing(local, block, symbol, model, cancellationToken)
                    : PlanEndInFinally(local, block, symbol, model, key == UseUsingBlockKey, cancellationToken);
            }

            return null;
        }

        private static bool IsStartOnLocal(ExpressionSyntax start, SemanticModel model, CancellationToken cancellationToken)
        {
            var receiver = start switch
            {
                InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Start" } access } => access.Expression,
                ConditionalAccessExpressionSyntax { WhenNotNull: InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax { Name.Identifier.ValueText: "Start" } } } conditional => conditional.Expression,
                _ => null,
            };
            return receiver is not null && model.GetSymbolInfo(receiver, cancellationToken).Symbol is ILocalSymbol;
        }

        private static System.Func<SyntaxNode, SyntaxNode>? PlanUsing(LocalDeclarationStatementSyntax local, BlockSyntax block, ILocalSymbol symbol, SemanticModel model, CancellationToken cancellationToken)
        {
            if (IsWrittenOrPassedByReference(block, symbol, model, cancellationToken))
            {
                return null; // a using variable is read-only
            }

            return root =>
            {
                var firstToken = local.GetFirstToken();
                var updated = local
                    .ReplaceToken(firstToken, firstToken.WithLeadingTrivia(Space))
                    .WithUsingKeyword(Token(SyntaxKind.UsingKeyword).WithLeadingTrivia(firstToken.LeadingTrivia));
                return root.ReplaceNode(local, updated);
            };
        }

        /// <summary>
        /// The statements between the start and the block's own end statement move into a <c>try</c> whose <c>finally</c> is
        /// the end statement, or (<paramref name="usingBlock"/>) into a <c>using</c> block that replaces both the
        /// declaration and the end statement (the activity then ends, by Dispose, where it ended before).
        /// </summary>
        private static System.Func<SyntaxNode, SyntaxNode>? PlanEndInFinally(LocalDeclarationStatementSyntax local, BlockSyntax block, ILocalSymbol symbol, SemanticModel model, bool usingBlock, CancellationToken cancellationToken)
        {
            var statements = block.Statements;
            var startIndex = statements.IndexOf(local);
            var endIndex = -1;
            for (var i = startIndex + 1; i < statements.Count; i++)
            {
                if (IsEndStatement(statements[i], symbol, model, cancellationToken))
                {
                    endIndex = i;
                    break;
                }
            }

            if (endIndex <= startIndex + 1)
            {
                return null;
            }

            // Locals declared between start and end must not be used after the end (they move into the try).
            var moved = statements.Skip(startIndex + 1).Take(endIndex - startIndex - 1).ToList();
            var movedLocals = moved.OfType<LocalDeclarationStatementSyntax>()
                .SelectMany(d => d.Declaration.Variables)
                .Select(v => v.Identifier.ValueText)
                .ToImmutableHashSet();
            if (!movedLocals.IsEmpty)
            {
                foreach (var after in statements.Skip(endIndex + 1))
                {
                    if (after.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && movedLocals.Contains(t.ValueText)))
                    {
                        return null;
                    }
                }
            }

            if (usingBlock)
            {
                // The local goes out of scope at the end of the using block, and a using variable is read-only.
                if (statements.Skip(endIndex + 1).Any(after => after.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == symbol.Name))
                    || IsWrittenOrPassedByReference(block, symbol, model, cancellationToken))
                {
                    return null;
                }

                return root =>
                {
                    // The declaration's end-of-line comment follows the using's close parenthesis; the comments above the
                    // end statement stay above the close brace that replaces it.
                    var end = statements[endIndex];
                    var usingStatement = UsingStatement(
                            local.Declaration.WithoutTrivia(),
                            null,
                            Block(moved).WithCloseBraceToken(Token(SyntaxKind.CloseBraceToken).WithLeadingTrivia(end.GetLeadingTrivia())))
                        .WithCloseParenToken(Token(SyntaxKind.CloseParenToken).WithTrailingTrivia(local.GetTrailingTrivia()))
                        .WithLeadingTrivia(local.GetLeadingTrivia())
                        .WithTrailingTrivia(end.GetTrailingTrivia())
                        .WithAdditionalAnnotations(Formatter.Annotation);
                    var newStatements = statements.Take(startIndex)
                        .Concat(new StatementSyntax[] { usingStatement })
                        .Concat(statements.Skip(endIndex + 1));
                    return root.ReplaceNode(block, block.WithStatements(List(newStatements)));
                };
            }

            return root =>
            {
                var end = statements[endIndex];
                var tryStatement = TryStatement(
                        Block(moved),
                        default,
                        FinallyClause(Block(end)))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                var newStatements = statements.Take(startIndex + 1)
                    .Concat(new StatementSyntax[] { tryStatement })
                    .Concat(statements.Skip(endIndex + 1));
                return root.ReplaceNode(block, block.WithStatements(List(newStatements)));
            };
        }

        /// <summary><c>a.Stop();</c>, <c>a?.Dispose();</c>, <c>a.End();</c> as a statement of its own.</summary>
        private static bool IsEndStatement(StatementSyntax statement, ILocalSymbol symbol, SemanticModel model, CancellationToken cancellationToken)
        {
            if (statement is not ExpressionStatementSyntax { Expression: var expression })
            {
                return false;
            }

            ExpressionSyntax? receiver;
            string? name;
            switch (expression)
            {
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access, ArgumentList.Arguments.Count: 0 }:
                    receiver = access.Expression;
                    name = access.Name.Identifier.ValueText;
                    break;
                case ConditionalAccessExpressionSyntax { WhenNotNull: InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax binding, ArgumentList.Arguments.Count: 0 } } conditional:
                    receiver = conditional.Expression;
                    name = binding.Name.Identifier.ValueText;
                    break;
                default:
                    return false;
            }

            return name is "Stop" or "Dispose" or "End"
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(receiver, cancellationToken).Symbol, symbol);
        }

        private static bool IsWrittenOrPassedByReference(BlockSyntax block, ILocalSymbol symbol, SemanticModel model, CancellationToken cancellationToken)
        {
            foreach (var identifier in block.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (identifier.Identifier.ValueText != symbol.Name)
                {
                    continue;
                }

                var written = identifier.Parent is AssignmentExpressionSyntax assignment && assignment.Left == identifier
                    || identifier.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 }
                    || identifier.Parent is PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax;
                if (written && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, symbol))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
