using System;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// The one way every fix that rewrites to ContextAnalyzers.Runtime names a runtime type: the simple name
    /// (<see cref="TypeName(string, bool)"/>) plus a <c>using ContextAnalyzers.Runtime;</c> the fix adds itself (<see cref="EnsureUsing(SyntaxNode)"/>:
    /// System directives first, then ordinal order), so the result is the same whether the fix is applied alone or merged
    /// by the batch Fix All (which drops <c>Simplifier.AddImportsAnnotation</c>). When the simple name would bind to
    /// something else (the user's own type or member of that name, an alias), the fix writes
    /// <c>global::ContextAnalyzers.Runtime.X</c> and adds no <c>using</c>.
    /// </summary>
    internal static class RuntimeImport
    {
        public const string Namespace = "ContextAnalyzers.Runtime";

        /// <summary>
        /// True when the runtime type <paramref name="name"/> can be written by its simple name at
        /// <paramref name="position"/> (with the runtime <c>using</c>): nothing else of that name is in scope there, nor
        /// named anywhere in the document (a <c>using</c> added at the top could make that reference ambiguous).
        /// </summary>
        public static bool CanUseSimpleName(SemanticModel model, int position, string name, CancellationToken cancellationToken = default)
            => InScopeIsRuntimeOnly(model, position, name) && NamedInDocumentIsRuntimeOnly(model, name, cancellationToken);

        /// <summary>
        /// <see cref="CanUseSimpleName"/> for a fix that writes the name at many places of the document: checked at the top
        /// level and inside every type declaration.
        /// </summary>
        public static bool CanUseSimpleNameInDocument(SemanticModel model, string name, CancellationToken cancellationToken = default)
        {
            var root = model.SyntaxTree.GetRoot(cancellationToken);
            if (!InScopeIsRuntimeOnly(model, root.FullSpan.End, name))
            {
                return false;
            }

            foreach (var type in root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax).OfType<TypeDeclarationSyntax>())
            {
                if (!type.OpenBraceToken.IsMissing && !InScopeIsRuntimeOnly(model, type.OpenBraceToken.Span.End, name))
                {
                    return false;
                }
            }

            return NamedInDocumentIsRuntimeOnly(model, name, cancellationToken);
        }

        /// <summary>A type of the runtime namespace named <paramref name="name"/> (any arity), not nested.</summary>
        private static bool IsRuntimeType(ISymbol symbol, string name)
            => symbol is INamedTypeSymbol { ContainingType: null } type
                && type.Name == name
                && type.ContainingNamespace?.ToDisplayString() == Namespace;

        private static bool InScopeIsRuntimeOnly(SemanticModel model, int position, string name)
        {
            foreach (var symbol in model.LookupSymbols(position, name: name))
            {
                if (!IsRuntimeType(symbol, name))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool NamedInDocumentIsRuntimeOnly(SemanticModel model, string name, CancellationToken cancellationToken)
        {
            var root = model.SyntaxTree.GetRoot(cancellationToken);
            foreach (var token in root.DescendantTokens())
            {
                if (!token.IsKind(SyntaxKind.IdentifierToken) || token.ValueText != name)
                {
                    continue;
                }

                if (token.Parent is not SimpleNameSyntax simpleName || simpleName.Parent is NameEqualsSyntax)
                {
                    return false; // a declaration of that name (type, member, local, alias, named member of an object...)
                }

                var info = model.GetSymbolInfo(simpleName, cancellationToken);
                var bound = info.Symbol ?? (info.CandidateSymbols.Length > 0 ? info.CandidateSymbols[0] : null);
                if (bound is not null && !IsRuntimeType(bound, name))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary><c>X</c> when <paramref name="simple"/>, else <c>global::ContextAnalyzers.Runtime.X</c>, where a type is expected (a declaration, <c>new X()</c>, a type argument).</summary>
        public static NameSyntax TypeName(string name, bool simple) => TypeName(SyntaxFactory.IdentifierName(name), simple);

        /// <summary><paramref name="name"/> (<c>X</c>, <c>X&lt;T&gt;</c>) when <paramref name="simple"/>, else qualified with <c>global::ContextAnalyzers.Runtime</c>.</summary>
        public static NameSyntax TypeName(SimpleNameSyntax name, bool simple)
            => simple ? name : SyntaxFactory.QualifiedName(FixSyntax.GlobalRuntimeNamespace(), name);

        /// <summary>
        /// The runtime type <paramref name="name"/> where it is an expression (the receiver of a member access:
        /// <c>X.Start(...)</c>): <c>X</c> when <paramref name="simple"/>, else <c>global::ContextAnalyzers.Runtime.X</c> built
        /// as the parser reads that text in an expression (member accesses), so the fixed tree is the tree of its text.
        /// </summary>
        public static ExpressionSyntax TypeExpression(string name, bool simple) => TypeExpression(SyntaxFactory.IdentifierName(name), simple);

        /// <summary><see cref="TypeExpression(string, bool)"/> for a simple or generic name (<c>X</c>, <c>X&lt;T&gt;</c>).</summary>
        public static ExpressionSyntax TypeExpression(SimpleNameSyntax name, bool simple)
            => simple ? name : SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FixSyntax.GlobalRuntimeNamespaceExpression(), name);

        /// <summary><see cref="EnsureUsing(SyntaxNode)"/> when the fix wrote the simple name, else <paramref name="root"/>.</summary>
        public static SyntaxNode EnsureUsing(SyntaxNode root, bool simple)
            => simple ? EnsureUsing(root) : root;

        public static SyntaxNode EnsureUsing(SyntaxNode root)
        {
            if (root is not CompilationUnitSyntax unit
                || unit.Usings.Any(u => u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name?.ToString() == Namespace)
                || unit.Members.OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.ToString() == Namespace || n.Usings.Any(u => u.Name?.ToString() == Namespace)))
            {
                return root;
            }

            var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(Namespace))
                .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
            var usings = unit.Usings;
            var index = 0;
            if (IsSorted(usings))
            {
                while (index < usings.Count && Compare(usings[index], Namespace) < 0)
                {
                    index++;
                }
            }
            else
            {
                // An unsorted list gets the directive after its last plain using (as the IDE's import cleanup does).
                for (var i = 0; i < usings.Count; i++)
                {
                    if (usings[i].Alias is null && usings[i].StaticKeyword.IsKind(SyntaxKind.None))
                    {
                        index = i + 1;
                    }
                }
            }

            if (usings.Count == 0)
            {
                directive = directive.WithTrailingTrivia(SyntaxFactory.LineFeed, SyntaxFactory.LineFeed);
                return unit.WithUsings(usings.Add(directive));
            }

            directive = directive.WithTrailingTrivia(SyntaxFactory.LineFeed);
            if (index == 0)
            {
                // Keep the file's leading trivia (header comments) in front of the first directive.
                var first = usings[0];
                directive = directive.WithLeadingTrivia(first.GetLeadingTrivia());
                usings = usings.Replace(first, first.WithLeadingTrivia());
            }

            return unit.WithUsings(usings.Insert(index, directive));
        }

        /// <summary>The plain (non-alias, non-static) directives are System first, then in ordinal order.</summary>
        private static bool IsSorted(SyntaxList<UsingDirectiveSyntax> usings)
        {
            string? previous = null;
            foreach (var directive in usings)
            {
                if (directive.Alias is not null || !directive.StaticKeyword.IsKind(SyntaxKind.None) || directive.Name is null)
                {
                    continue;
                }

                var text = directive.Name.ToString();
                if (previous is not null && Compare(previous, text) > 0)
                {
                    return false;
                }

                previous = text;
            }

            return true;
        }

        private static int Compare(string existing, string name)
        {
            var existingIsSystem = IsSystem(existing);
            var nameIsSystem = IsSystem(name);
            return existingIsSystem != nameIsSystem ? (existingIsSystem ? -1 : 1) : string.CompareOrdinal(existing, name);
        }

        private static bool IsSystem(string name) => name == "System" || name.StartsWith("System.", StringComparison.Ordinal);

        private static int Compare(UsingDirectiveSyntax existing, string name)
        {
            if (existing.Alias is not null || !existing.StaticKeyword.IsKind(SyntaxKind.None) || existing.Name is null)
            {
                return 1;
            }

            var text = existing.Name.ToString();
            var existingIsSystem = text == "System" || text.StartsWith("System.", StringComparison.Ordinal);
            if (existingIsSystem)
            {
                return -1;
            }

            return string.CompareOrdinal(text, name);
        }
    }
}
