using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers.Tests.Reliability;

/// <summary>
/// The zero-diagnostic corpus (tests/ContextAnalyzers.Tests/ValidCode): realistic, correct OpenTelemetry code on which
/// every analyzer, with every rule enabled, must report nothing. It grows with every false positive ever found.
/// </summary>
public sealed class ValidCodeTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "ValidCode");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Folder, "*.cs").OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }

        return data;
    }

    [Fact]
    public void The_corpus_is_there_and_compiles()
    {
        var files = Directory.GetFiles(Folder, "*.cs");
        Assert.True(files.Length >= 8, $"expected the ValidCode files in {Folder}, found {files.Length}");
        var errors = CorpusAnalysis.Errors(Compile(ReferenceSet.All));
        Assert.True(errors.Count == 0, "ValidCode must compile:\n" + string.Join("\n", errors.Select(CorpusAnalysis.Describe)));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Produces_no_diagnostic(string file)
    {
        var compilation = Compile(ReferenceSet.All);
        var tree = compilation.SyntaxTrees.Single(t => Path.GetFileName(t.FilePath) == file);
        var failures = new AnalyzerFailures();
        failures.SetInput("ValidCode/" + file);
        var diagnostics = Catalog.Analyzers.IsEmpty
            ? System.Collections.Immutable.ImmutableArray<Diagnostic>.Empty
            : await CorpusAnalysis.AnalyzeTreeAsync(CorpusAnalysis.WithAnalyzers(compilation, failures), tree, failures, "ValidCode/" + file);
        failures.AssertNone("ValidCode/" + file);
        Assert.True(diagnostics.IsEmpty, $"ValidCode/{file} is correct code, but {diagnostics.Length} diagnostic(s) were reported (a false positive: fix the rule, keep the code here):\n" +
            string.Join("\n", diagnostics.Select(CorpusAnalysis.Describe)));
    }

    [Fact]
    public async Task The_whole_corpus_produces_no_diagnostic_and_no_exception_with_the_runtime_absent()
    {
        var compilation = Compile(ReferenceSet.AllButRuntime);
        var failures = new AnalyzerFailures();
        failures.SetInput("ValidCode without the runtime");
        var diagnostics = Catalog.Analyzers.IsEmpty
            ? System.Collections.Immutable.ImmutableArray<Diagnostic>.Empty
            : await CorpusAnalysis.AnalyzeAsync(compilation, failures, "ValidCode");
        failures.AssertNone("ValidCode");
        Assert.True(CorpusAnalysis.Errors(compilation).Count == 0, "ValidCode must not need ContextAnalyzers.Runtime unless it says so");
        Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics.Select(CorpusAnalysis.Describe)));
    }

    private static Microsoft.CodeAnalysis.CSharp.CSharpCompilation Compile(ReferenceSet references) =>
        CorpusAnalysis.Compile(
            Directory.GetFiles(Folder, "*.cs").OrderBy(f => f, StringComparer.Ordinal).Select(f => CorpusAnalysis.Parse("ValidCode/" + Path.GetFileName(f), File.ReadAllText(f))),
            references);
}
