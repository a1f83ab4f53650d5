using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using ContextAnalyzers.Tests.Meta;

namespace ContextAnalyzers.Tests.Packaging;

/// <summary>
/// Opens the two .nupkg files and checks what users get. eng/test.sh packs them first (CTX_PACKAGES_DIR); run alone,
/// the fixture packs them into a temporary folder.
/// </summary>
public sealed class PackagesFixture : IDisposable
{
    private readonly string? tempDir;

    public PackagesFixture()
    {
        var dir = Environment.GetEnvironmentVariable("CTX_PACKAGES_DIR");
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir) || Directory.GetFiles(dir, "ContextAnalyzers.*.nupkg").Length < 2)
        {
            tempDir = Path.Combine(Path.GetTempPath(), "ctx-packages-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(tempDir);
            var psi = new ProcessStartInfo("dotnet", $"pack \"{RepoPaths.Combine("ContextAnalyzers.sln")}\" -c Release -o \"{tempDir}\" -nologo -v:q")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException("dotnet pack failed:\n" + output.Result + error.Result);
            }

            dir = tempDir;
        }

        Analyzers = Find(dir, @"^ContextAnalyzers\.[0-9][^/]*\.nupkg$");
        Runtime = Find(dir, @"^ContextAnalyzers\.Runtime\.[0-9][^/]*\.nupkg$");
    }

    public string Analyzers { get; }

    private static string Find(string dir, string pattern) =>
        Directory.GetFiles(dir, "*.nupkg").Single(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), pattern));

    public string Runtime { get; }

    public void Dispose()
    {
        if (tempDir is not null)
        {
            Directory.Delete(tempDir, recursive: true);
        }
    }
}

public class PackageLayoutTests : IClassFixture<PackagesFixture>
{
    private const string Roslyn48 = "analyzers/dotnet/roslyn4.8/cs/";
    private readonly PackagesFixture packages;

    public PackageLayoutTests(PackagesFixture packages) => this.packages = packages;

    [Fact]
    public void Analyzer_package_ships_analyzers_and_fixes_together_from_the_roslyn_4_8_folder()
    {
        using var zip = ZipFile.OpenRead(packages.Analyzers);
        var entries = zip.Entries.Select(e => e.FullName).ToList();

        // Every host from Roslyn 4.8 on takes this one folder: the analyzers and the code fixes, nothing else. A
        // higher roslynX.Y folder is added only for a fix that needs a newer Roslyn API (docs/compatibility.md).
        var analyzerEntries = entries.Where(e => e.StartsWith("analyzers/", StringComparison.Ordinal) && !e.EndsWith('/')).OrderBy(e => e, StringComparer.Ordinal);
        Assert.Equal(new[] { Roslyn48 + "ContextAnalyzers.Analyzers.dll", Roslyn48 + "ContextAnalyzers.CodeFixes.dll" }, analyzerEntries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        Assert.Contains("README.md", entries);
    }

    [Fact]
    public void Analyzer_package_metadata_is_complete()
    {
        var nuspec = ReadNuspec(packages.Analyzers);
        Assert.Equal("ContextAnalyzers", Meta(nuspec, "id"));
        Assert.Equal("true", Meta(nuspec, "developmentDependency"));
        Assert.Equal("MIT", Meta(nuspec, "license"));
        Assert.Equal("README.md", Meta(nuspec, "readme"));
        Assert.False(string.IsNullOrWhiteSpace(Meta(nuspec, "description")));
        Assert.False(string.IsNullOrWhiteSpace(Meta(nuspec, "tags")));
        Assert.StartsWith("https://", Meta(nuspec, "projectUrl"), StringComparison.Ordinal);
        Assert.Contains("Rule ID", Meta(nuspec, "releaseNotes"), StringComparison.Ordinal);
        Assert.DoesNotContain(nuspec.Descendants(), e => e.Name.LocalName == "dependency");
    }

    [Fact]
    public void Runtime_package_has_the_library_and_its_metadata()
    {
        using var zip = ZipFile.OpenRead(packages.Runtime);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("lib/netstandard2.0/ContextAnalyzers.Runtime.dll", entries);
        Assert.Contains("lib/net8.0/ContextAnalyzers.Runtime.dll", entries);
        Assert.Contains("lib/netstandard2.0/ContextAnalyzers.Runtime.xml", entries);
        Assert.Contains("README.md", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("analyzers/", StringComparison.Ordinal));

        var nuspec = ReadNuspec(packages.Runtime);
        Assert.Equal("ContextAnalyzers.Runtime", Meta(nuspec, "id"));
        Assert.Equal("MIT", Meta(nuspec, "license"));
        Assert.Equal("README.md", Meta(nuspec, "readme"));
        var otel = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "OpenTelemetry.Api").ToList();
        Assert.NotEmpty(otel);
        Assert.All(otel, d => Assert.Equal("1.15.3", (string?)d.Attribute("version")));
    }

    [Theory]
    [InlineData(Roslyn48 + "ContextAnalyzers.Analyzers.dll", "4.8.0.0")]
    [InlineData(Roslyn48 + "ContextAnalyzers.CodeFixes.dll", "4.8.0.0")]
    public void No_newer_roslyn_slips_into_a_folder(string entry, string maxRoslyn)
    {
        var references = ReferencedAssemblies(packages.Analyzers, entry);
        var max = Version.Parse(maxRoslyn);
        var roslyn = references.Where(r => r.Name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(roslyn);
        Assert.All(roslyn, r => Assert.True(r.Version <= max, $"{entry} references {r.Name} {r.Version}, newer than {max}."));
        Assert.DoesNotContain(references, r => r.Name.StartsWith("OpenTelemetry", StringComparison.Ordinal));
        if (entry.EndsWith("Analyzers.dll", StringComparison.Ordinal))
        {
            Assert.DoesNotContain(references, r => r.Name.Contains("Workspaces", StringComparison.Ordinal));
        }
        else
        {
            Assert.Contains(references, r => r.Name == "Microsoft.CodeAnalysis.Workspaces");
        }
    }

    [Fact]
    public void The_fixes_reference_no_assembly_a_roslyn_4_8_host_lacks()
    {
        // Built against Workspaces 4.8.0, whose System.Composition 7.0.0 the registry substitutes by 8.0.0: the only
        // reference above the 4.8 host's own assemblies is System.Composition.AttributedModel 8.0.0.0, for [Shared],
        // which hosts read from metadata and never resolve (docs/compatibility.md). Anything else newer fails here.
        var references = ReferencedAssemblies(packages.Analyzers, Roslyn48 + "ContextAnalyzers.CodeFixes.dll");
        var allowed = new Dictionary<string, Version>(StringComparer.Ordinal)
        {
            ["netstandard"] = new(2, 0, 0, 0),
            ["System.Collections.Immutable"] = new(7, 0, 0, 0),
            ["System.Composition.AttributedModel"] = new(8, 0, 0, 0),
            ["ContextAnalyzers.Analyzers"] = new(int.MaxValue, 0),
        };
        foreach (var (name, version) in references)
        {
            if (name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
            {
                Assert.True(version <= new Version(4, 8, 0, 0), $"{name} {version}");
                continue;
            }

            Assert.True(allowed.TryGetValue(name, out var max), $"the fixes reference {name} {version}, which a Roslyn 4.8 host may not have");
            Assert.True(version <= max, $"the fixes reference {name} {version}, newer than {max}");
        }
    }

    private static List<(string Name, Version Version)> ReferencedAssemblies(string nupkg, string entry)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        using var stream = zip.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        using var pe = new PEReader(copy);
        var md = pe.GetMetadataReader();
        return md.AssemblyReferences.Select(h => md.GetAssemblyReference(h)).Select(r => (md.GetString(r.Name), r.Version)).ToList();
    }

    private static XDocument ReadNuspec(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        using var s = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(s);
    }

    private static string Meta(XDocument nuspec, string name) =>
        nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? string.Empty;
}
