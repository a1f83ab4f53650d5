using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ContextAnalyzers.Tests.Meta;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers.Tests.Packaging;

/// <summary>
/// The presets <c>&lt;ContextAnalyzersMode&gt;Recommended|Strict|None&lt;/ContextAnalyzersMode&gt;</c> are global analyzer
/// configs shipped in the package (package/ContextAnalyzers/buildTransitive/config). They are generated from the
/// descriptors so they cannot drift: <c>CTX_UPDATE_DOCS=1 dotnet test --filter CatalogTests</c> rewrites them.
/// eng/e2e/package.sh proves them end to end through the real SDK.
/// </summary>
public static class PresetConfigs
{
    public static readonly IReadOnlyList<string> Modes = new[] { "Recommended", "Strict", "None" };

    public static string PathOf(string mode) =>
        RepoPaths.Combine("package", "ContextAnalyzers", "buildTransitive", "config", $"ContextAnalyzers.{mode}.globalconfig");

    /// <summary>The severity a preset gives a rule, in .editorconfig words.</summary>
    public static string SeverityIn(string mode, DiagnosticDescriptor d) => mode switch
    {
        "None" => "none",
        "Strict" => d.IsEnabledByDefault && d.DefaultSeverity == DiagnosticSeverity.Error ? "error" : "warning",
        "Recommended" => Shipped(d),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    public static string Shipped(DiagnosticDescriptor d) => !d.IsEnabledByDefault ? "none" : d.DefaultSeverity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        DiagnosticSeverity.Info => "suggestion",
        _ => "silent",
    };

    public static string Generate(string mode, IEnumerable<DiagnosticDescriptor> descriptors)
    {
        var summary = mode switch
        {
            "Recommended" => "every rule at its shipped severity (the default when ContextAnalyzersMode is not set)",
            "Strict" => "every rule reported as a warning at least: Info and off-by-default rules included",
            "None" => "every rule off; turn single rules back on in .editorconfig",
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
        var sb = new StringBuilder();
        sb.Append("# ContextAnalyzers preset '").Append(mode).Append("': ").Append(summary).Append('\n');
        sb.Append("# Selected by <ContextAnalyzersMode>").Append(mode).Append("</ContextAnalyzersMode> (docs/configuration.md).\n");
        sb.Append("# Generated from the rule descriptors: CTX_UPDATE_DOCS=1 dotnet test --filter CatalogTests. Do not edit.\n");
        sb.Append("# global_level -99: every .editorconfig entry and every user .globalconfig wins over the preset.\n");
        sb.Append('\n');
        sb.Append("is_global = true\n");
        sb.Append("global_level = -99\n");
        foreach (var d in descriptors.OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            sb.Append('\n');
            sb.Append("# ").Append(d.Id).Append(": ").Append(d.Title.ToString()).Append(" (shipped: ").Append(Shipped(d)).Append(")\n");
            sb.Append("dotnet_diagnostic.").Append(d.Id).Append(".severity = ").Append(SeverityIn(mode, d)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The <c>dotnet_diagnostic.ID.severity</c> entries of a config file.</summary>
    public static Dictionary<string, string> Entries(string text)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(text, @"^dotnet_diagnostic\.([A-Za-z0-9]+)\.severity\s*=\s*(\S+)\s*$", RegexOptions.Multiline))
        {
            Assert.True(entries.TryAdd(m.Groups[1].Value, m.Groups[2].Value), $"{m.Groups[1].Value} is configured twice.");
        }

        return entries;
    }
}

public class PresetCatalogTests
{
    public static TheoryData<string> Modes()
    {
        var data = new TheoryData<string>();
        foreach (var mode in PresetConfigs.Modes)
        {
            data.Add(mode);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Preset_config_is_generated_from_the_descriptors(string mode)
    {
        var path = PresetConfigs.PathOf(mode);
        var expected = PresetConfigs.Generate(mode, Catalog.Descriptors);
        var actual = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
        if (actual == expected)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("CTX_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, expected);
            return;
        }

        Assert.Fail($"{path} is out of date with the descriptors. Run: CTX_UPDATE_DOCS=1 dotnet test --filter CatalogTests\n\nExpected:\n{expected}");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Every_rule_is_configured_by_every_preset_and_nothing_else(string mode)
    {
        var entries = PresetConfigs.Entries(File.ReadAllText(PresetConfigs.PathOf(mode)));
        Assert.Equal(Catalog.Descriptors.Select(d => d.Id).OrderBy(x => x, StringComparer.Ordinal), entries.Keys.OrderBy(x => x, StringComparer.Ordinal));
        Assert.All(entries.Values, v => Assert.Contains(v, new[] { "none", "silent", "suggestion", "warning", "error" }));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Preset_config_is_a_low_precedence_global_config(string mode)
    {
        var lines = File.ReadAllLines(PresetConfigs.PathOf(mode)).Select(l => l.Trim()).ToList();
        Assert.Contains("is_global = true", lines);
        Assert.Contains("global_level = -99", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith('['));
    }

    [Fact]
    public void Recommended_keeps_every_shipped_severity()
    {
        var entries = PresetConfigs.Entries(File.ReadAllText(PresetConfigs.PathOf("Recommended")));
        foreach (var d in Catalog.Descriptors)
        {
            Assert.Equal(PresetConfigs.Shipped(d), entries[d.Id]);
        }
    }

    [Fact]
    public void Strict_reports_every_rule_at_least_as_a_warning()
    {
        var entries = PresetConfigs.Entries(File.ReadAllText(PresetConfigs.PathOf("Strict")));
        Assert.All(entries, e => Assert.Contains(e.Value, new[] { "warning", "error" }));
        foreach (var d in Catalog.Descriptors.Where(d => d.DefaultSeverity == DiagnosticSeverity.Info || !d.IsEnabledByDefault))
        {
            Assert.Equal("warning", entries[d.Id]);
        }
    }

    [Fact]
    public void None_turns_every_rule_off()
    {
        var entries = PresetConfigs.Entries(File.ReadAllText(PresetConfigs.PathOf("None")));
        Assert.All(entries, e => Assert.Equal("none", e.Value));
    }

    [Fact]
    public void The_generator_maps_each_kind_of_rule_as_documented()
    {
        // The catalog may not hold every kind of rule yet: prove the mapping on one descriptor of each kind.
        var warning = new DiagnosticDescriptor("CTX901", "W", "W", "ContextLifetime", DiagnosticSeverity.Warning, true);
        var info = new DiagnosticDescriptor("CTX902", "I", "I", "ContextLifetime", DiagnosticSeverity.Info, true);
        var off = new DiagnosticDescriptor("CTX903", "O", "O", "ContextLifetime", DiagnosticSeverity.Warning, false);
        var error = new DiagnosticDescriptor("CTX904", "E", "E", "ContextLifetime", DiagnosticSeverity.Error, true);
        var all = new[] { warning, info, off, error };

        var recommended = PresetConfigs.Entries(PresetConfigs.Generate("Recommended", all));
        var strict = PresetConfigs.Entries(PresetConfigs.Generate("Strict", all));
        var none = PresetConfigs.Entries(PresetConfigs.Generate("None", all));

        Assert.Equal(new[] { "warning", "suggestion", "none", "error" }, all.Select(d => recommended[d.Id]));
        Assert.Equal(new[] { "warning", "warning", "warning", "error" }, all.Select(d => strict[d.Id]));
        Assert.Equal(new[] { "none", "none", "none", "none" }, all.Select(d => none[d.Id]));
    }

    [Fact]
    public void The_targets_offer_exactly_the_generated_presets()
    {
        var targets = XDocument.Load(RepoPaths.Combine("package", "ContextAnalyzers", "buildTransitive", "ContextAnalyzers.targets"));
        var offered = targets.Descendants()
            .Where(e => e.Name.LocalName == "_ContextAnalyzersPreset")
            .Select(e => e.Value.Trim())
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(PresetConfigs.Modes.OrderBy(x => x, StringComparer.Ordinal), offered.OrderBy(x => x, StringComparer.Ordinal));
        Assert.All(offered, mode => Assert.True(File.Exists(PresetConfigs.PathOf(mode)), $"{mode} has no config file."));

        var error = targets.Descendants().Single(e => e.Name.LocalName == "Error");
        Assert.Contains(string.Join(", ", PresetConfigs.Modes), (string?)error.Attribute("Text"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_package_project_packs_build_and_buildTransitive()
    {
        var project = File.ReadAllText(RepoPaths.Combine("package", "ContextAnalyzers", "ContextAnalyzers.Package.csproj"));
        Assert.Contains("PackagePath=\"buildTransitive\"", project, StringComparison.Ordinal);
        Assert.Contains("PackagePath=\"build\"", project, StringComparison.Ordinal);
        foreach (var folder in new[] { "build", "buildTransitive" })
        {
            foreach (var ext in new[] { "props", "targets" })
            {
                Assert.True(File.Exists(RepoPaths.Combine("package", "ContextAnalyzers", folder, "ContextAnalyzers." + ext)), $"{folder}/ContextAnalyzers.{ext} is missing.");
            }
        }
    }
}
