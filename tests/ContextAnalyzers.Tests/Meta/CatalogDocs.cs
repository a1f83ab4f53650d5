using System.Text;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers.Tests.Meta;

/// <summary>
/// Generates the rules tables of README.md and docs/README.md from the descriptors. The meta tests compare;
/// <c>CTX_UPDATE_DOCS=1 dotnet test --filter CatalogTests</c> rewrites them.
/// </summary>
public static class CatalogDocs
{
    public const string Begin = "<!-- rules:begin (generated from the descriptors; CTX_UPDATE_DOCS=1 dotnet test --filter CatalogTests) -->";
    public const string End = "<!-- rules:end -->";

    public static string RulesTable(string docsPrefix)
    {
        var fixable = Verification.Catalog.CodeFixes.SelectMany(f => f.FixableDiagnosticIds).ToHashSet(StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.AppendLine("| ID | Title | Category | Default | Code fix |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var d in Verification.Catalog.Descriptors)
        {
            var severity = d.IsEnabledByDefault ? d.DefaultSeverity.ToString() : "Off";
            sb.AppendLine($"| [{d.Id}]({docsPrefix}{d.Id}.md) | {d.Title} | {d.Category} | {severity} | {(fixable.Contains(d.Id) ? "yes" : "no")} |");
        }

        return sb.ToString();
    }

    /// <summary>Replaces the generated block of a file; returns the file as it should be.</summary>
    public static string WithTable(string content, string table)
    {
        var start = content.IndexOf(Begin, StringComparison.Ordinal);
        var end = content.IndexOf(End, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            throw new InvalidOperationException($"The file has no '{Begin}' ... '{End}' block.");
        }

        return content[..(start + Begin.Length)] + "\n" + table + content[end..];
    }
}
