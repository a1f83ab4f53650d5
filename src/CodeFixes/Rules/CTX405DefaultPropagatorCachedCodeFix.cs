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

namespace ContextAnalyzers
{
    /// <summary>CTX405: turn the cached field (or auto-property) into a property that reads the default propagator at call time.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX405DefaultPropagatorCachedCodeFix))]
    [Shared]
    public sealed class CTX405DefaultPropagatorCachedCodeFix : CodeFixProvider
    {
        public const string ReadAtCallTimeKey = "CTX405.ReadAtCallTime";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.DefaultPropagatorCached);

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
                var member = (MemberDeclarationSyntax?)node?.FirstAncestorOrSelf<FieldDeclarationSyntax>() ?? node?.FirstAncestorOrSelf<PropertyDeclarationSyntax>();
                if (member is null || Rewrite(member, model, context.CancellationToken) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Read the default propagator at call time",
                        ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(member, Rewrite(member, model, ct)!))),
                        ReadAtCallTimeKey),
                    diagnostic);
            }
        }

        private static PropertyDeclarationSyntax? Rewrite(MemberDeclarationSyntax member, SemanticModel model, CancellationToken cancellationToken)
        {
            switch (member)
            {
                case FieldDeclarationSyntax field when field.Declaration.Variables.Count == 1 && field.Declaration.Variables[0].Initializer is { } initializer:
                    var symbol = model.GetDeclaredSymbol(field.Declaration.Variables[0], cancellationToken);
                    if (symbol is null || IsWrittenOutsideInitializer(symbol, model.Compilation, cancellationToken))
                    {
                        return null;
                    }

                    var modifiers = SyntaxFactory.TokenList(field.Modifiers.Where(m => !m.IsKind(SyntaxKind.ReadOnlyKeyword) && !m.IsKind(SyntaxKind.VolatileKeyword)));
                    return SyntaxFactory.PropertyDeclaration(field.Declaration.Type, field.Declaration.Variables[0].Identifier.WithoutTrivia())
                        .WithAttributeLists(field.AttributeLists)
                        .WithModifiers(modifiers)
                        .WithExpressionBody(SyntaxFactory.ArrowExpressionClause(initializer.Value.WithoutTrivia()))
                        .WithSemicolonToken(field.SemicolonToken)
                        .WithLeadingTrivia(field.GetLeadingTrivia())
                        .WithAdditionalAnnotations(Formatter.Annotation);
                case PropertyDeclarationSyntax property when property.Initializer is { } initializer
                    && property.AccessorList is { } accessors
                    && accessors.Accessors.Count == 1
                    && accessors.Accessors[0].IsKind(SyntaxKind.GetAccessorDeclaration)
                    && accessors.Accessors[0].Body is null
                    && accessors.Accessors[0].ExpressionBody is null:
                    return property
                        .WithAccessorList(null)
                        .WithInitializer(null)
                        .WithIdentifier(property.Identifier.WithoutTrivia())
                        .WithExpressionBody(SyntaxFactory.ArrowExpressionClause(initializer.Value.WithoutTrivia()))
                        .WithSemicolonToken(property.SemicolonToken)
                        .WithAdditionalAnnotations(Formatter.Annotation);
                default:
                    return null;
            }
        }

        /// <summary>A field assigned (or passed by reference) anywhere but its initializer cannot become a get-only property.</summary>
        private static bool IsWrittenOutsideInitializer(ISymbol field, Compilation compilation, CancellationToken cancellationToken)
        {
            foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
            {
                var typeSyntax = reference.GetSyntax(cancellationToken);
                SemanticModel? model = null;
                foreach (var name in typeSyntax.DescendantNodes().OfType<IdentifierNameSyntax>())
                {
                    if (name.Identifier.ValueText != field.Name)
                    {
                        continue;
                    }

                    var expression = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? (ExpressionSyntax)access : name;
                    var written = expression.Parent switch
                    {
                        AssignmentExpressionSyntax assignment => assignment.Left == expression,
                        ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None),
                        PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax => true,
                        _ => false,
                    };
                    if (!written)
                    {
                        continue;
                    }

                    model ??= compilation.GetSemanticModel(typeSyntax.SyntaxTree);
                    if (SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, field))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
