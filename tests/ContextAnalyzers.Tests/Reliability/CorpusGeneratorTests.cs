using ContextAnalyzers.Corpus;
using ContextAnalyzers.Tests.Verification;

namespace ContextAnalyzers.Tests.Reliability;

/// <summary>The generated corpus is what the robustness, fix-safety and benchmark numbers stand on: it must be deterministic, big enough, and compile.</summary>
public sealed class CorpusGeneratorTests
{
    [Fact]
    public void Same_options_give_the_same_corpus_and_another_seed_another()
    {
        var a = CorpusGenerator.Generate(CorpusOptions.Small(40));
        var b = CorpusGenerator.Generate(CorpusOptions.Small(40));
        var c = CorpusGenerator.Generate(CorpusOptions.Small(40) with { Seed = 7 });
        Assert.Equal(a.Select(f => f.Path + "\n" + f.Text), b.Select(f => f.Path + "\n" + f.Text));
        Assert.NotEqual(a.Select(f => f.Text), c.Select(f => f.Text));
    }

    [Fact]
    public void Benchmark_corpus_has_2000_files_300k_lines_and_a_few_percent_of_each_mistake()
    {
        var corpus = CorpusGenerator.Generate(CorpusOptions.Benchmark);
        Assert.True(corpus.Count >= 2000, $"{corpus.Count} files");
        var lines = corpus.Sum(f => f.LineCount);
        Assert.True(lines >= 300_000, $"{lines} lines");
        Assert.Equal(corpus.Count, corpus.Select(f => f.Path).Distinct(StringComparer.Ordinal).Count());

        var hosts = corpus.Count(f => f.Path.EndsWith("Service.cs", StringComparison.Ordinal) || f.Path.EndsWith("Handler.cs", StringComparison.Ordinal)
            || f.Path.EndsWith("Consumer.cs", StringComparison.Ordinal) || f.Path.EndsWith("Publisher.cs", StringComparison.Ordinal) || f.Path.EndsWith("Worker.cs", StringComparison.Ordinal));
        foreach (var family in MistakeFamilies.All)
        {
            var n = corpus.Count(f => f.Mistakes.Contains(family));
            var share = (double)n / hosts;
            Assert.True(share is >= 0.005 and <= 0.05, $"{family}: {n} of {hosts} instrumented files ({share:P1})");
            Assert.Equal(n, corpus.Sum(f => CountOccurrences(f.Text, "// seeded: " + family)));
        }

        var clean = corpus.Count(f => f.Mistakes.Count == 0);
        Assert.True(clean > corpus.Count * 0.75, $"only {clean} of {corpus.Count} files are free of seeded mistakes");
    }

    [Fact]
    public void Small_corpus_seeds_every_family_and_compiles()
    {
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(60));
        Assert.Equal(MistakeFamilies.All.OrderBy(x => x), corpus.SelectMany(f => f.Mistakes).Distinct().OrderBy(x => x));
        var errors = CorpusAnalysis.Errors(CorpusAnalysis.Compile(corpus, ReferenceSet.All));
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20).Select(CorpusAnalysis.Describe)));
    }

    [Fact]
    public void Uninstrumented_corpus_uses_no_telemetry_and_compiles_without_it()
    {
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(60) with { Instrumented = false });
        Assert.All(corpus, f =>
        {
            Assert.DoesNotContain("OpenTelemetry", f.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("Activity", f.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("Baggage", f.Text, StringComparison.Ordinal);
            Assert.Empty(f.Mistakes);
        });
        var errors = CorpusAnalysis.Errors(CorpusAnalysis.Compile(corpus, ReferenceSet.FrameworkOnly));
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20).Select(CorpusAnalysis.Describe)));
    }

    private static int CountOccurrences(string text, string value)
    {
        var n = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
