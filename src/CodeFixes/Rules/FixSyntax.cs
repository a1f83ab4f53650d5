using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// Syntax the fixes share: identifiers for names held as strings (escaped when the name is a keyword, so a local
    /// named <c>@event</c> stays <c>@event</c>), one way to choose a fresh local name, and the <c>ContextScope</c> call.
    /// Fixes build code from these and <c>SyntaxFactory</c>, never by parsing text made of names.
    /// </summary>
    internal static class FixSyntax
    {
        /// <summary>
        /// An identifier token for <paramref name="name"/> (its value text): <c>@name</c> when the name is a keyword, or
        /// <c>await</c>/<c>yield</c>, which are keywords where the fixes may put them (async lambdas, iterators).
        /// </summary>
        public static SyntaxToken Identifier(string name)
            => NeedsEscape(name)
                ? SyntaxFactory.VerbatimIdentifier(default, name, name, default) // written @name
                : SyntaxFactory.Identifier(name);

        /// <summary><see cref="Identifier(string)"/> as a name expression.</summary>
        public static IdentifierNameSyntax IdentifierName(string name) => SyntaxFactory.IdentifierName(Identifier(name));

        private static bool NeedsEscape(string name)
            => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || name is "await" or "yield";

        /// <summary>
        /// <paramref name="baseName"/>, or <paramref name="baseName"/>1, 2, ... : a name that no identifier of the member
        /// enclosing <paramref name="near"/> uses (so the new local neither conflicts with nor shadows anything there), that
        /// nothing visible at <paramref name="position"/> has, and that is not in <paramref name="taken"/> (names the
        /// same fix already chose).
        /// </summary>
        public static string FreshLocalName(SemanticModel model, SyntaxNode near, int position, string baseName, IEnumerable<string>? taken = null)
        {
            var member = (SyntaxNode?)near.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? near.SyntaxTree.GetRoot();
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var token in member.DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.IdentifierToken))
                {
                    used.Add(token.ValueText);
                }
            }

            if (taken is not null)
            {
                used.UnionWith(taken);
            }

            for (var i = 0; ; i++)
            {
                var candidate = i == 0 ? baseName : baseName + i.ToString(CultureInfo.InvariantCulture);
                if (!used.Contains(candidate) && model.LookupSymbols(position, name: candidate).IsEmpty)
                {
                    return candidate;
                }
            }
        }

        /// <summary><c>global::ContextAnalyzers.Runtime</c>.</summary>
        public static NameSyntax GlobalRuntimeNamespace()
            => SyntaxFactory.QualifiedName(
                SyntaxFactory.AliasQualifiedName(SyntaxFactory.IdentifierName(SyntaxFactory.Token(SyntaxKind.GlobalKeyword)), SyntaxFactory.IdentifierName("ContextAnalyzers")),
                SyntaxFactory.IdentifierName("Runtime"));

        /// <summary>
        /// <c>global::ContextAnalyzers.Runtime</c> as the parser reads it in an expression: a member access on the alias
        /// qualified <c>global::ContextAnalyzers</c>, not a qualified name.
        /// </summary>
        public static ExpressionSyntax GlobalRuntimeNamespaceExpression()
            => SyntaxFactory.MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression,
                SyntaxFactory.AliasQualifiedName(SyntaxFactory.IdentifierName(SyntaxFactory.Token(SyntaxKind.GlobalKeyword)), SyntaxFactory.IdentifierName("ContextAnalyzers")),
                SyntaxFactory.IdentifierName("Runtime"));

        /// <summary><c>ContextScope.Method(arguments)</c>; the caller adds the runtime <c>using</c> when <paramref name="simple"/>.</summary>
        public static ExpressionSyntax ContextScopeCall(bool simple, string method, params ExpressionSyntax[] arguments)
            => SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ContextScopeType(simple), SyntaxFactory.IdentifierName(method)),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments.Select(a => SyntaxFactory.Argument(a.WithoutTrivia())))));

        /// <summary><c>ContextScope</c>, or <c>global::ContextAnalyzers.Runtime.ContextScope</c>.</summary>
        public static ExpressionSyntax ContextScopeType(bool simple) => RuntimeImport.TypeExpression("ContextScope", simple);
    }
}
