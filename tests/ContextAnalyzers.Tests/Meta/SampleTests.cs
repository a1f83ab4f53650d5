using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers.Tests.Meta;

/// <summary>The sample is the product's demo: it compiles, and every rule of the catalog fires in it at least once.</summary>
public class SampleTests
{
    [Fact]
    public async Task Sample_compiles_and_shows_every_rule()
    {
        var dir = RepoPaths.Combine("samples", "ContextAnalyzers.Sample");
        var sources = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToList();
        Assert.NotEmpty(sources);

        // The sample uses implicit usings (net10.0 console): add them as the SDK would.
        sources.Add("""
            global using System;
            global using System.Collections.Generic;
            global using System.IO;
            global using System.Linq;
            global using System.Net.Http;
            global using System.Threading;
            global using System.Threading.Tasks;
            """);

        var test = new AnalyzerTest(Catalog.Analyzers) { OutputKind = OutputKind.ConsoleApplication };

        // The sample's baggage key schema (an AdditionalFiles item of its project, as in a team's service).
        foreach (var file in Directory.GetFiles(dir, "*.txt"))
        {
            test.AdditionalFiles.Add((Path.GetFileName(file), File.ReadAllText(file)));
        }

        var project = test.CreateProject(sources);
        var diagnostics = await test.GetAllDiagnosticsAsync(project, CancellationToken.None);
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The sample does not compile:\n" + string.Join("\n", errors));

        var fired = diagnostics.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var missing = Catalog.Descriptors.Select(d => d.Id).Where(id => id != DiagnosticIds.InvalidAnalyzerOption && !fired.Contains(id)).ToList();
        Assert.True(missing.Count == 0, "The sample shows no example of: " + string.Join(", ", missing));
    }
}
