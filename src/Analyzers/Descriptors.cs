using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>Rule categories, one per promise of the package.</summary>
    internal static class RuleCategories
    {
        public const string Lifetime = "ContextLifetime";
        public const string Flow = "ContextFlow";
        public const string Baggage = "BaggageSafety";
        public const string Propagation = "Propagation";
        public const string Configuration = "Configuration";
    }

    /// <summary>
    /// The one factory every descriptor goes through: it always sets the category and the help link to
    /// <c>docs/rules/CTXnnn.md</c>. Titles carry no final period; messages are one sentence.
    /// </summary>
    internal static partial class Descriptors
    {
        public const string HelpLinkBase = "https://github.com/ContextAnalyzers/ContextAnalyzers/blob/main/docs/rules/";

        public static string HelpLink(string id) => HelpLinkBase + id + ".md";

        private static DiagnosticDescriptor Create(
            string id,
            string title,
            string messageFormat,
            string category,
            DiagnosticSeverity severity,
            string description,
            bool isEnabledByDefault = true,
            params string[] customTags)
        {
            return new DiagnosticDescriptor(
                id,
                title,
                messageFormat,
                category,
                severity,
                isEnabledByDefault,
                description,
                HelpLink(id),
                customTags);
        }
    }
}
