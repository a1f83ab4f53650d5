using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX2xx fixes that rewrite to ContextAnalyzers.Runtime write the simple type name and add the <c>using</c>
    /// themselves (System directives first, then ordinal order), so the result is the same whether the fix is applied
    /// alone or merged by the batch Fix All (which does not run the import cleanup on merged text).
    /// </summary>
    internal static class CTX20xRuntimeImport
    {
        public const string Namespace = "ContextAnalyzers.Runtime";

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
            while (index < usings.Count && Compare(usings[index], Namespace) < 0)
            {
                index++;
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
