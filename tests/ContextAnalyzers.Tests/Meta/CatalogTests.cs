using System.Reflection;
using System.Text.RegularExpressions;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers.Tests.Meta;

/// <summary>Keeps the catalog honest: IDs, help links, docs pages, release tracking, README table, fixers.</summary>
public class CatalogTests
{
    private static readonly IReadOnlyList<(string Name, string Id)> DeclaredIds = typeof(DiagnosticIds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .Select(f => (f.Name, (string)f.GetRawConstantValue()!))
        .ToList();

    public static TheoryData<string> DescriptorIds()
    {
        var data = new TheoryData<string>();
        foreach (var d in Catalog.Descriptors)
        {
            data.Add(d.Id);
        }

        return data;
    }

    [Fact]
    public void Ids_are_unique_and_well_formed()
    {
        Assert.NotEmpty(DeclaredIds);
        Assert.All(DeclaredIds, x => Assert.Matches("^CTX[1-9][0-9]{2}$", x.Id));
        var duplicates = DeclaredIds.GroupBy(x => x.Id).Where(g => g.Count() > 1).Select(g => g.Key + ": " + string.Join(", ", g.Select(x => x.Name))).ToList();
        Assert.True(duplicates.Count == 0, "Duplicate IDs: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void Every_descriptor_id_is_declared_in_DiagnosticIds()
    {
        var declared = DeclaredIds.Select(x => x.Id).ToHashSet();
        Assert.All(Catalog.Descriptors, d => Assert.Contains(d.Id, declared));
    }

    [Fact]
    public void Removed_ids_are_never_reused()
    {
        var removed = ReleaseTrackingRows("AnalyzerReleases.Shipped.md", "### Removed Rules").Select(r => r.Id).ToHashSet();
        Assert.All(Catalog.Descriptors, d => Assert.DoesNotContain(d.Id, removed));
    }

    [Fact]
    public void Descriptors_have_help_links_to_their_docs_page()
    {
        foreach (var d in Catalog.Descriptors)
        {
            Assert.Equal(Descriptors.HelpLink(d.Id), d.HelpLinkUri);
            var page = RepoPaths.Combine("docs", "rules", d.Id + ".md");
            Assert.True(File.Exists(page), $"{d.Id}: docs page {page} is missing.");
            var firstLine = File.ReadLines(page).First();
            Assert.Equal($"# {d.Id} — {d.Title}", firstLine);
        }
    }

    [Fact]
    public void Docs_pages_have_the_required_sections()
    {
        foreach (var d in Catalog.Descriptors)
        {
            var text = File.ReadAllText(RepoPaths.Combine("docs", "rules", d.Id + ".md"));
            foreach (var section in new[] { "## Why it matters", "## Bad", "## Fixed", "## Options", "## Suppress" })
            {
                Assert.True(text.Contains(section, StringComparison.Ordinal), $"{d.Id}.md lacks '{section}'.");
            }

            Assert.True(Regex.Matches(text, "```csharp").Count >= 2, $"{d.Id}.md needs at least a bad and a fixed C# example.");
        }
    }

    [Fact]
    public void Every_docs_page_belongs_to_a_rule()
    {
        var ids = Catalog.Descriptors.Select(d => d.Id).ToHashSet();
        foreach (var file in Directory.GetFiles(RepoPaths.Combine("docs", "rules"), "CTX*.md"))
        {
            Assert.Contains(Path.GetFileNameWithoutExtension(file), ids);
        }
    }

    [Fact]
    public void Titles_and_messages_follow_the_conventions()
    {
        foreach (var d in Catalog.Descriptors)
        {
            var title = d.Title.ToString();
            var message = d.MessageFormat.ToString();
            Assert.False(title.EndsWith('.'), $"{d.Id}: titles carry no final period.");
            Assert.False(message.EndsWith('.'), $"{d.Id}: messages carry no final period (one sentence).");
            Assert.False(string.IsNullOrWhiteSpace(d.Description.ToString()), $"{d.Id}: a description is required.");
            Assert.Contains(d.Category, new[] { "ContextLifetime", "ContextFlow", "BaggageSafety", "Propagation", "Configuration" });
        }
    }

    [Fact]
    public void Messages_are_held_by_the_descriptors()
    {
        // The descriptor holds the sentence (it can be localised); the arguments only fill in names. A rule whose sentence
        // differs by shape has one descriptor per shape under its ID.
        foreach (var d in Catalog.Analyzers.SelectMany(a => a.SupportedDiagnostics).Distinct())
        {
            var format = d.MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var words = Placeholder.Replace(format, " ").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(words.Length >= 5, $"{d.Id}: the message format '{format}' must be the sentence, with names as arguments.");
            Assert.True(
                SentenceFragmentPlaceholders(format).Count == 0,
                $"{d.Id}: in '{format}', {string.Join(", ", SentenceFragmentPlaceholders(format))} stands where a clause or the end of the sentence belongs: the argument would be English text. Put the words in the descriptor (one descriptor per sentence) and pass only names.");
        }
    }

    [Theory]
    [InlineData("The propagator will drop {0}: {1}")]
    [InlineData("This propagator has no BaggagePropagator, but {0}")]
    [InlineData("Option '{0}' has an invalid value: {1}")]
    [InlineData("The logging scope begun here is not disposed on every path: {0}")]
    [InlineData("'{0}' is changed here but the previous value is not restored on every path out of {1}")]
    [InlineData("{0}, and baggage is sent in plain text to every downstream service")]
    public void A_placeholder_that_ends_a_clause_is_a_sentence_fragment(string format)
        => Assert.NotEmpty(SentenceFragmentPlaceholders(format));

    [Theory]
    [InlineData("Baggage key '{0}' is not in the baggage key schema (did you mean '{1}'?)")]
    [InlineData("'{0}' keeps {1} in a ThreadLocal<T>: after an await the code runs on another thread")]
    [InlineData("The propagator will drop this entry: it takes {0} bytes once percent-encoded, over the {1}-byte header limit")]
    [InlineData("Baggage value reads '{0}', which looks sensitive ('{1}' is classified [{2}]), and baggage is sent in plain text")]
    public void A_placeholder_inside_the_sentence_or_quoted_is_a_name(string format)
        => Assert.Empty(SentenceFragmentPlaceholders(format));

    private static readonly Regex Placeholder = new(@"\{[0-9]+\}", RegexOptions.CultureInvariant);

    /// <summary>
    /// The placeholders of <paramref name="format"/> that stand for a clause: unquoted, with no word of the sentence
    /// between them and the start or end of their clause (the message's ends, ':' and ';'). A quoted placeholder
    /// (<c>'{0}'</c>) names something wherever it stands.
    /// </summary>
    private static List<string> SentenceFragmentPlaceholders(string format)
    {
        var fragments = new List<string>();
        foreach (Match m in Placeholder.Matches(format))
        {
            var before = format[..m.Index];
            var after = format[(m.Index + m.Length)..];
            if (before.EndsWith('\'') && after.StartsWith('\''))
            {
                continue;
            }

            var clauseBefore = before[(before.LastIndexOfAny([':', ';']) + 1)..];
            var end = after.IndexOfAny([':', ';']);
            var clauseAfter = end < 0 ? after : after[..end];
            if (!HasWord(Placeholder.Replace(clauseBefore, " ")) || !HasWord(Placeholder.Replace(clauseAfter, " ")))
            {
                fragments.Add(m.Value);
            }
        }

        return fragments;
    }

    private static bool HasWord(string text) => Regex.IsMatch(text, @"\p{L}{2,}");

    [Fact]
    public void Every_rule_is_in_release_tracking_with_its_category_and_severity()
    {
        var rows = ReleaseTrackingRows("AnalyzerReleases.Shipped.md", "### New Rules")
            .Concat(ReleaseTrackingRows("AnalyzerReleases.Unshipped.md", "### New Rules"))
            .ToDictionary(r => r.Id);
        foreach (var d in Catalog.Descriptors)
        {
            Assert.True(rows.TryGetValue(d.Id, out var row), $"{d.Id} is not in AnalyzerReleases.*.md.");
            Assert.Equal(d.Category, row.Category);
            Assert.Equal(d.IsEnabledByDefault ? d.DefaultSeverity.ToString() : "Disabled", row.Severity);
        }

        foreach (var id in rows.Keys)
        {
            Assert.Contains(id, Catalog.Descriptors.Select(d => d.Id));
        }
    }

    [Fact]
    public void Readme_rules_table_is_generated_from_the_descriptors()
    {
        CheckGenerated(RepoPaths.Combine("README.md"), CatalogDocs.RulesTable("docs/rules/"));
    }

    [Fact]
    public void Docs_index_is_generated_from_the_descriptors()
    {
        CheckGenerated(RepoPaths.Combine("docs", "README.md"), CatalogDocs.RulesTable("rules/"));
    }

    [Fact]
    public void Fixers_have_fix_all_and_namespaced_equivalence_keys()
    {
        var ids = Catalog.Descriptors.Select(d => d.Id).ToHashSet();
        foreach (var fixer in Catalog.CodeFixes)
        {
            var type = fixer.GetType();
            Assert.NotNull(fixer.GetFixAllProvider());
            Assert.NotEmpty(fixer.FixableDiagnosticIds);
            Assert.All(fixer.FixableDiagnosticIds, id => Assert.Contains(id, ids));
            Assert.Contains(fixer.FixableDiagnosticIds, id => type.Name.StartsWith(id, StringComparison.Ordinal));

            var keys = type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name.EndsWith("Key", StringComparison.Ordinal))
                .Select(f => (string)f.GetRawConstantValue()!)
                .ToList();
            Assert.True(keys.Count > 0, $"{type.Name} declares no '...Key' equivalence key constants.");
            Assert.All(keys, k => Assert.Matches(@"^CTX[0-9]{3}\.[A-Z][A-Za-z0-9]+$", k));
            Assert.All(keys, k => Assert.Contains(k[..6], fixer.FixableDiagnosticIds));
        }
    }

    [Fact]
    public void Analyzer_and_fixer_files_carry_the_rule_id_in_their_name()
    {
        foreach (var analyzer in Catalog.Analyzers)
        {
            var name = analyzer.GetType().Name;
            Assert.True(analyzer.SupportedDiagnostics.Any(d => name.StartsWith(d.Id, StringComparison.Ordinal)), $"{name} should start with one of its rule IDs.");
        }
    }

    private static void CheckGenerated(string path, string table)
    {
        var content = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        var expected = CatalogDocs.WithTable(content, table);
        if (expected == content)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("CTX_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, expected);
            return;
        }

        Assert.Fail($"{path} is out of date with the descriptors. Run: CTX_UPDATE_DOCS=1 dotnet test --filter CatalogTests\n\nExpected table:\n{table}");
    }

    private static IEnumerable<(string Id, string Category, string Severity)> ReleaseTrackingRows(string file, string section)
    {
        var lines = File.ReadAllLines(RepoPaths.Combine("src", "Analyzers", file));
        var inSection = false;
        foreach (var line in lines)
        {
            if (line.StartsWith("###", StringComparison.Ordinal))
            {
                inSection = line.Trim() == section;
                continue;
            }

            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                inSection = false;
                continue;
            }

            var m = Regex.Match(line, @"^\s*(CTX\d{3})\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|");
            if (inSection && m.Success)
            {
                yield return (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value);
            }
        }
    }
}
