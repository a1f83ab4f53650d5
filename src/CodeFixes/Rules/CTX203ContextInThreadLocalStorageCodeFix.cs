using System.Collections.Generic;
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
    /// CTX203: <c>ThreadLocal&lt;T&gt;</c> → <c>AsyncLocal&lt;T&gt;</c> (when created without a factory and only its
    /// <c>Value</c> is used); <c>[ThreadStatic] static T f;</c> → <c>static readonly AsyncLocal&lt;T&gt; f = new();</c> with every
    /// use in the type rewritten to <c>f.Value</c> (private fields of a single-declaration type); removes the
    /// <c>ContextSlotType = typeof(ThreadLocalRuntimeContextSlot&lt;&gt;)</c> statement.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX203ContextInThreadLocalStorageCodeFix))]
    [Shared]
    public sealed class CTX203ContextInThreadLocalStorageCodeFix : CodeFixProvider
    {
        public const string UseAsyncLocalKey = "CTX203.UseAsyncLocal";
        public const string RemoveThreadLocalSlotKey = "CTX203.RemoveThreadLocalSlot";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ContextInThreadLocalStorage);

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
                diagnostic.Properties.TryGetValue(CTX203ContextInThreadLocalStorageAnalyzer.KindProperty, out var kind);
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                switch (kind)
                {
                    case CTX203ContextInThreadLocalStorageAnalyzer.SlotKind:
                        if (node.FirstAncestorOrSelf<ExpressionStatementSyntax>() is { Parent: BlockSyntax } statement)
                        {
                            context.RegisterCodeFix(
                                CodeAction.Create(
                                    "Keep the default AsyncLocal context slots",
                                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.RemoveNode(statement, SyntaxRemoveOptions.KeepUnbalancedDirectives)!)),
                                    RemoveThreadLocalSlotKey),
                                diagnostic);
                        }

                        break;
                    case CTX203ContextInThreadLocalStorageAnalyzer.ThreadLocalKind:
                    case CTX203ContextInThreadLocalStorageAnalyzer.ThreadStaticKind:
                        if (node.FirstAncestorOrSelf<VariableDeclaratorSyntax>() is { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: FieldDeclarationSyntax field } } declarator
                            && model.GetDeclaredSymbol(declarator, context.CancellationToken) is IFieldSymbol symbol
                            && field.Parent is TypeDeclarationSyntax type
                            && symbol.ContainingType.DeclaringSyntaxReferences.Length == 1)
                        {
                            var references = References(type, symbol, model, context.CancellationToken);
                            var rewrite = kind == CTX203ContextInThreadLocalStorageAnalyzer.ThreadLocalKind
                                ? ThreadLocalToAsyncLocal(root, field, declarator, references)
                                : ThreadStaticToAsyncLocal(root, type, field, declarator, symbol, references);
                            if (rewrite is not null)
                            {
                                context.RegisterCodeFix(
                                    CodeAction.Create("Keep it in an AsyncLocal<T>", _ => Task.FromResult(context.Document.WithSyntaxRoot(rewrite)), UseAsyncLocalKey),
                                    diagnostic);
                            }
                        }

                        break;
                }
            }
        }

        private static List<ExpressionSyntax> References(TypeDeclarationSyntax type, IFieldSymbol field, SemanticModel model, CancellationToken cancellationToken)
        {
            var result = new List<ExpressionSyntax>();
            foreach (var name in type.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (name.Identifier.ValueText == field.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, field))
                {
                    result.Add(name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name);
                }
            }

            return result;
        }

        private static SyntaxNode? ThreadLocalToAsyncLocal(SyntaxNode root, FieldDeclarationSyntax field, VariableDeclaratorSyntax declarator, List<ExpressionSyntax> references)
        {
            if (field.Declaration.Type is not GenericNameSyntax { Identifier.ValueText: "ThreadLocal" } typeName
                || declarator.Initializer?.Value is not BaseObjectCreationExpressionSyntax creation
                || creation.ArgumentList is { Arguments.Count: > 0 }
                || creation is ObjectCreationExpressionSyntax { Initializer: not null }
                || references.Any(r => r.Parent is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Value" } access || access.Expression != r))
            {
                return null;
            }

            var newCreation = creation is ObjectCreationExpressionSyntax { Type: GenericNameSyntax createdType } explicitCreation
                ? (ExpressionSyntax)explicitCreation.WithType(createdType.WithIdentifier(SyntaxFactory.Identifier(createdType.Identifier.LeadingTrivia, "AsyncLocal", createdType.Identifier.TrailingTrivia)))
                : creation;
            var newDeclarator = declarator.WithInitializer(declarator.Initializer.WithValue(newCreation));
            var newField = field.WithDeclaration(field.Declaration
                .WithType(typeName.WithIdentifier(SyntaxFactory.Identifier(typeName.Identifier.LeadingTrivia, "AsyncLocal", typeName.Identifier.TrailingTrivia)))
                .WithVariables(SyntaxFactory.SingletonSeparatedList(newDeclarator)));
            return root.ReplaceNode(field, newField);
        }

        private static SyntaxNode? ThreadStaticToAsyncLocal(SyntaxNode root, TypeDeclarationSyntax type, FieldDeclarationSyntax field, VariableDeclaratorSyntax declarator, IFieldSymbol symbol, List<ExpressionSyntax> references)
        {
            if (declarator.Initializer is not null
                || symbol.DeclaredAccessibility != Accessibility.Private
                || references.Any(r => r.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 } || r.Parent is RefExpressionSyntax))
            {
                return null;
            }

            var asyncLocalType = SyntaxFactory.GenericName(SyntaxFactory.Identifier("AsyncLocal"), SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(field.Declaration.Type.WithoutTrivia())));
            var attributeLists = new List<AttributeListSyntax>();
            foreach (var list in field.AttributeLists)
            {
                var kept = list.Attributes.Where(a => !IsThreadStatic(a)).ToList();
                if (kept.Count > 0)
                {
                    attributeLists.Add(list.WithAttributes(SyntaxFactory.SeparatedList(kept)));
                }
            }

            var modifiers = field.Modifiers;
            if (!modifiers.Any(SyntaxKind.ReadOnlyKeyword))
            {
                modifiers = modifiers.Add(SyntaxFactory.Token(SyntaxKind.ReadOnlyKeyword).WithTrailingTrivia(SyntaxFactory.Space));
            }

            var newField = field
                .WithAttributeLists(SyntaxFactory.List(attributeLists))
                .WithModifiers(attributeLists.Count == 0 ? modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(field.GetLeadingTrivia())) : modifiers)
                .WithDeclaration(SyntaxFactory.VariableDeclaration(
                    asyncLocalType.WithTrailingTrivia(SyntaxFactory.Space),
                    SyntaxFactory.SingletonSeparatedList(declarator.WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.ImplicitObjectCreationExpression())))))
                .WithAdditionalAnnotations(Formatter.Annotation);

            var newType = type.ReplaceNodes(
                references.Cast<SyntaxNode>().Append(field),
                (original, rewritten) => original == field
                    ? newField
                    : SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ((ExpressionSyntax)rewritten).WithoutTrivia(), SyntaxFactory.IdentifierName("Value")).WithTriviaFrom(rewritten));
            return CTX20xSystemThreadingImport.EnsureSystemThreading(root.ReplaceNode(type, newType));
        }

        private static bool IsThreadStatic(AttributeSyntax attribute)
        {
            var name = attribute.Name.ToString();
            return name is "ThreadStatic" or "ThreadStaticAttribute" or "System.ThreadStatic" or "System.ThreadStaticAttribute";
        }
    }

    /// <summary>Adds <c>using System.Threading;</c> when missing (AsyncLocal&lt;T&gt; lives there).</summary>
    internal static class CTX20xSystemThreadingImport
    {
        public static SyntaxNode EnsureSystemThreading(SyntaxNode root)
        {
            if (root is not CompilationUnitSyntax unit || unit.Usings.Any(u => u.Alias is null && u.Name?.ToString() == "System.Threading"))
            {
                return root;
            }

            var usings = unit.Usings;
            var index = 0;
            while (index < usings.Count && usings[index].Name is { } name && string.CompareOrdinal(name.ToString(), "System.Threading") < 0 && name.ToString().StartsWith("System", System.StringComparison.Ordinal))
            {
                index++;
            }

            var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName("System.Threading")).WithTrailingTrivia(SyntaxFactory.LineFeed);
            if (usings.Count == 0)
            {
                directive = directive.WithTrailingTrivia(SyntaxFactory.LineFeed, SyntaxFactory.LineFeed);
            }

            return unit.WithUsings(usings.Insert(index, directive));
        }
    }
}
