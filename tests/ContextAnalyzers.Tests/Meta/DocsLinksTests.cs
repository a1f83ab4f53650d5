using System.Text.RegularExpressions;
using ContextAnalyzers.Tests.Packaging;

namespace ContextAnalyzers.Tests.Meta;

/// <summary>
/// The hand-written documentation stays navigable and in step with what ships: relative links resolve, the presets
/// page names every preset, and the compatibility page names every Roslyn folder the package project packs.
/// (The generated rules tables are checked by <see cref="CatalogTests"/>.)
/// </summary>
public class DocsLinksTests
{
    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        data.Add("README.md");
        foreach (var file in Directory.GetFiles(RepoPaths.Combine("docs"), "*.md").OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, file).Replace('\\', '/'));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Relative_links_resolve(string page)
    {
        var path = RepoPaths.Combine(page.Split('/'));
        var text = WithoutGeneratedTable(File.ReadAllText(path));
        var broken = new List<string>();
        foreach (Match m in Regex.Matches(text, @"\]\(([^)\s#]+)(#[^)\s]*)?\)"))
        {
            var target = m.Groups[1].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, target));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add(target);
            }
        }

        Assert.True(broken.Count == 0, $"{page} links to missing files: {string.Join(", ", broken)}");
    }

    [Fact]
    public void Configuration_page_documents_every_preset()
    {
        var text = File.ReadAllText(RepoPaths.Combine("docs", "configuration.md"));
        Assert.All(PresetConfigs.Modes, mode => Assert.Contains($"`{mode}`", text, StringComparison.Ordinal));
        Assert.Contains("ContextAnalyzersMode", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Compatibility_page_names_every_folder_the_package_packs()
    {
        var project = File.ReadAllText(RepoPaths.Combine("package", "ContextAnalyzers", "ContextAnalyzers.Package.csproj"));
        var folders = Regex.Matches(project, @"PackagePath=""(analyzers/dotnet/roslyn[0-9.]+/cs)""").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(folders);
        var text = File.ReadAllText(RepoPaths.Combine("docs", "compatibility.md"));
        Assert.All(folders, folder => Assert.Contains(folder, text, StringComparison.Ordinal));
    }

    [Fact]
    public void Readme_links_the_configuration_compatibility_and_comparison_pages()
    {
        var readme = File.ReadAllText(RepoPaths.Combine("README.md"));
        foreach (var page in new[] { "docs/configuration.md", "docs/compatibility.md", "docs/comparison.md" })
        {
            Assert.Contains($"]({page})", readme, StringComparison.Ordinal);
        }
    }

    private static string WithoutGeneratedTable(string text)
    {
        var start = text.IndexOf(CatalogDocs.Begin, StringComparison.Ordinal);
        var end = text.IndexOf(CatalogDocs.End, StringComparison.Ordinal);
        return start >= 0 && end > start ? text[..start] + text[end..] : text;
    }
}
