using ContextAnalyzers.Corpus;
using ContextAnalyzers.Tests.Verification;
using Xunit.Abstractions;

namespace ContextAnalyzers.Tests.Reliability;

/// <summary>
/// Precision on realistic code: the generated corpus is correct except for the seeded mistakes, which the generator
/// appends at the end of their class after a <c>// seeded: CTXnnn</c> comment. A diagnostic before the first such
/// comment of its file is a false positive on ordinary, correctly instrumented service code.
/// </summary>
public sealed class CorpusPrecisionTests
{
    private readonly ITestOutputHelper output;

    public CorpusPrecisionTests(ITestOutputHelper output) => this.output = output;

    [Fact]
    public async Task Diagnostics_on_the_generated_corpus_are_only_in_seeded_mistakes()
    {
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(CorpusAnalysis.Large ? 400 : 100) with { Seed = 77 });
        var compilation = CorpusAnalysis.Compile(corpus, ReferenceSet.All);
        if (Catalog.Analyzers.IsEmpty)
        {
            Assert.Empty(CorpusAnalysis.Errors(compilation));
            return;
        }

        var failures = new AnalyzerFailures();
        failures.SetInput("the generated corpus");
        var diagnostics = await CorpusAnalysis.AnalyzeAsync(compilation, failures, "the generated corpus");
        failures.AssertNone("the generated corpus");

        var seededFrom = corpus.ToDictionary(f => f.Path, f => f.Text.IndexOf("// seeded: ", StringComparison.Ordinal), StringComparer.Ordinal);
        var outside = diagnostics
            .Where(d => d.Location.IsInSource)
            .Where(d => seededFrom[d.Location.SourceTree!.FilePath] is var at && (at < 0 || d.Location.SourceSpan.Start < at))
            .ToList();
        var seededFiles = corpus.Count(f => f.Mistakes.Count > 0);
        var flaggedSeededFiles = diagnostics.Where(d => d.Location.IsInSource).Select(d => d.Location.SourceTree!.FilePath).Distinct().Count(p => seededFrom[p] >= 0);
        output.WriteLine($"{diagnostics.Length} diagnostics, {outside.Count} outside seeded mistakes; {flaggedSeededFiles} of {seededFiles} files with seeded mistakes flagged");
        Assert.True(outside.Count == 0, $"{outside.Count} diagnostic(s) on correct code (false positives):\n" + string.Join("\n", outside.Take(20).Select(CorpusAnalysis.Describe)));
    }
}
