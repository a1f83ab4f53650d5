using System.Collections.Immutable;
using System.Diagnostics;
using ContextAnalyzers.Corpus;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit.Abstractions;

namespace ContextAnalyzers.Tests.Reliability;

/// <summary>
/// Never crash: every analyzer of the catalog, found by reflection, over (a) the generated service corpus,
/// (b) thousands of broken variants of it (cut at random points, random tokens deleted, random ranges deleted: code as
/// it is while being typed), (c) the corpus with references missing. Zero analyzer exceptions (AD0001) allowed.
/// Deterministic seeds; <c>CTX_ROBUSTNESS_LARGE=1</c> runs ten times as many variants and a bigger corpus.
/// </summary>
public sealed class RobustnessCorpusTests
{
    private const int Seed = 8_2026;
    private readonly ITestOutputHelper output;

    public RobustnessCorpusTests(ITestOutputHelper output) => this.output = output;

    private static int CorpusFiles => CorpusAnalysis.Large ? 400 : 60;

    [Fact]
    public async Task Every_analyzer_survives_the_generated_corpus()
    {
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(CorpusFiles));
        var compilation = CorpusAnalysis.Compile(corpus, ReferenceSet.All);
        var errors = CorpusAnalysis.Errors(compilation);
        Assert.True(errors.Count == 0, "The generated corpus must be valid code:\n" + string.Join("\n", errors.Take(10).Select(CorpusAnalysis.Describe)));

        var failures = new AnalyzerFailures();
        failures.SetInput("the generated corpus");
        var probe = new ProbeAnalyzer();
        var diagnostics = await CorpusAnalysis.WithAnalyzers(compilation, failures, Catalog.Analyzers.Add(probe)).GetAnalyzerDiagnosticsAsync();
        failures.RecordCrashDiagnostics(diagnostics, "the generated corpus");
        failures.AssertNone("the generated corpus");

        Assert.True(probe.OperationBlocks > 100, $"the probe saw only {probe.OperationBlocks} operation blocks");
        output.WriteLine($"{Catalog.Analyzers.Length} analyzers, {corpus.Count} files; diagnostics by ID: " +
            string.Join(", ", diagnostics.Where(d => d.Id.StartsWith("CTX", StringComparison.Ordinal)).GroupBy(d => d.Id).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}")));
    }

    [Fact]
    public async Task Every_analyzer_survives_thousands_of_half_typed_variants()
    {
        var variantsPerMode = CorpusAnalysis.Large ? 10_000 : 500;
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(CorpusFiles) with { Seed = Seed });
        var trees = corpus.Select(f => CorpusAnalysis.Parse(f.Path, f.Text)).ToList();
        var baseCompilation = CorpusAnalysis.Compile(trees, ReferenceSet.All);
        var analyzers = Catalog.Analyzers.Add(new ProbeAnalyzer());
        var probe = (ProbeAnalyzer)analyzers[^1];
        var failures = new AnalyzerFailures();
        var rng = new Random(Seed);
        var variants = new List<(int File, string Text, string Description)>();
        for (var i = 0; i < variantsPerMode; i++)
        {
            variants.Add(Truncate(rng, trees, corpus));
            variants.Add(DeleteTokens(rng, trees, corpus));
            variants.Add(DeleteRange(rng, trees, corpus));
        }

        var watch = Stopwatch.StartNew();
        var analyzed = 0;
        var reported = 0;

        // Many variants per compilation, next to the intact corpus: each variant moves to a namespace of its own
        // (V17.Contoso.Orders.M003) and imports its original namespace, so the rest of the module still binds from it.
        // One analysis per batch amortizes the driver's per-compilation work; a batch with a failure is re-run tree by
        // tree to name the variant that broke an analyzer.
        const int BatchSize = 400;
        for (var start = 0; start < variants.Count; start += BatchSize)
        {
            var batch = variants.Skip(start).Take(BatchSize).Select((v, k) => (Tree: CorpusAnalysis.Parse($"Variants/V{start + k}/{corpus[v.File].Path}", Isolate(v.Text, start + k, corpus[v.File].Text)), v.Description)).ToList();
            var compilation = baseCompilation.AddSyntaxTrees(batch.Select(b => b.Tree));
            var batchFailures = new AnalyzerFailures();
            batchFailures.SetInput($"variants {start}..{start + batch.Count - 1}");
            var diagnostics = await CorpusAnalysis.WithAnalyzers(compilation, batchFailures, analyzers).GetAnalyzerDiagnosticsAsync();
            batchFailures.RecordCrashDiagnostics(diagnostics, $"variants {start}..{start + batch.Count - 1}");
            reported += diagnostics.Count(d => d.Id.StartsWith("CTX", StringComparison.Ordinal));
            analyzed += batch.Count;
            if (batchFailures.Count > 0)
            {
                var withAnalyzers = CorpusAnalysis.WithAnalyzers(compilation, failures, analyzers);
                foreach (var (tree, description) in batch)
                {
                    failures.SetInput(description);
                    await CorpusAnalysis.AnalyzeTreeAsync(withAnalyzers, tree, failures, description);
                }

                if (failures.Count == 0)
                {
                    batchFailures.AssertNone($"variants {start}..{start + batch.Count - 1} (only when analyzed together)");
                }
            }
        }

        failures.AssertNone($"{analyzed} half-typed variants");
        Assert.Equal(variants.Count, analyzed);

        // The variants really were broken code that reached the analyzers: invalid operations and error types.
        Assert.True(probe.InvalidOperations > 0, "no variant produced an invalid operation: the mutations did not break anything");
        Assert.True(probe.ErrorTypedInvocations > 0, "no variant produced an invocation with an error type");
        output.WriteLine($"{analyzed} variants ({variantsPerMode} per mode) with {Catalog.Analyzers.Length} analyzers in {watch.Elapsed.TotalSeconds:0.0}s: " +
            $"{probe.OperationBlocks} operation blocks, {probe.InvalidOperations} invalid operations, {probe.ErrorTypedInvocations} error-typed invocations, {probe.Graphs} control-flow graphs, {reported} rule diagnostics");
    }

    [Theory]
    [InlineData(ReferenceSet.FrameworkOnly)]
    [InlineData(ReferenceSet.DiagnosticSource)]
    [InlineData(ReferenceSet.OpenTelemetryApi | ReferenceSet.DiagnosticSource)]
    [InlineData(ReferenceSet.OpenTelemetryApi)]
    [InlineData(ReferenceSet.AllButRuntime)]
    public async Task Every_analyzer_survives_missing_references(ReferenceSet references)
    {
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(CorpusFiles));
        var compilation = CorpusAnalysis.Compile(corpus, references);
        var failures = new AnalyzerFailures();
        failures.SetInput($"the corpus compiled against {references}");
        var probe = new ProbeAnalyzer();
        var diagnostics = await CorpusAnalysis.WithAnalyzers(compilation, failures, Catalog.Analyzers.Add(probe)).GetAnalyzerDiagnosticsAsync();
        failures.RecordCrashDiagnostics(diagnostics, $"the corpus against {references}");
        failures.AssertNone($"the corpus compiled against {references}");
        Assert.True(probe.OperationBlocks > 100, $"the probe saw only {probe.OperationBlocks} operation blocks");
        if (references is ReferenceSet.FrameworkOnly or ReferenceSet.OpenTelemetryApi)
        {
            // Without System.Diagnostics.DiagnosticSource nothing binds to Activity/ActivitySource: invalid operations everywhere.
            Assert.True(probe.InvalidOperations > 0, "the missing references produced no invalid operation");
        }
    }

    [Fact]
    public async Task Code_without_OpenTelemetry_gets_no_diagnostic()
    {
        // The same services with no telemetry, compiled without OpenTelemetry or DiagnosticSource (the bail-out case).
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(CorpusFiles) with { Instrumented = false });
        var compilation = CorpusAnalysis.Compile(corpus, ReferenceSet.FrameworkOnly);
        var errors = CorpusAnalysis.Errors(compilation);
        Assert.True(errors.Count == 0, "The uninstrumented corpus must compile without OpenTelemetry:\n" + string.Join("\n", errors.Take(10).Select(CorpusAnalysis.Describe)));

        var failures = new AnalyzerFailures();
        failures.SetInput("the uninstrumented corpus");
        var diagnostics = Catalog.Analyzers.IsEmpty
            ? ImmutableArray<Diagnostic>.Empty
            : await CorpusAnalysis.AnalyzeAsync(compilation, failures, "the uninstrumented corpus");
        failures.AssertNone("the uninstrumented corpus");
        Assert.True(diagnostics.IsEmpty, "Code that uses no telemetry must get no diagnostic:\n" + string.Join("\n", diagnostics.Take(20).Select(CorpusAnalysis.Describe)));
    }

    // ------------------------------------------------------------------ mutations

    /// <summary>Moves a variant into a namespace of its own and lets it import the original one.</summary>
    private static string Isolate(string variant, int index, string original)
    {
        const string Ns = "namespace Contoso.";
        var at = original.IndexOf(Ns, StringComparison.Ordinal);
        var end = at < 0 ? -1 : original.IndexOf(';', at);
        if (end < 0)
        {
            return variant;
        }

        var ns = original[(at + "namespace ".Length)..end];
        return "using " + ns + ";\n" + variant.Replace(Ns, $"namespace V{index}.Contoso.", StringComparison.Ordinal);
    }

    private static (int, string, string) Truncate(Random rng, List<SyntaxTree> trees, IReadOnlyList<CorpusFile> corpus)
    {
        var file = PickFile(rng, corpus);
        var text = corpus[file].Text;
        var at = rng.Next(text.Length);
        return (file, text[..at], $"{corpus[file].Path} cut at offset {at}");
    }

    private static (int, string, string) DeleteTokens(Random rng, List<SyntaxTree> trees, IReadOnlyList<CorpusFile> corpus)
    {
        var file = PickFile(rng, corpus);
        var tokens = trees[file].GetRoot().DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).ToList();
        var count = 1 + rng.Next(4);
        var spans = Enumerable.Range(0, count).Select(_ => tokens[rng.Next(tokens.Count)].Span).Distinct().OrderByDescending(s => s.Start).ToList();
        var text = corpus[file].Text;
        foreach (var s in spans)
        {
            text = text.Remove(s.Start, s.Length);
        }

        return (file, text, $"{corpus[file].Path} without the tokens at {string.Join(", ", spans.Select(s => s.ToString()))}");
    }

    private static (int, string, string) DeleteRange(Random rng, List<SyntaxTree> trees, IReadOnlyList<CorpusFile> corpus)
    {
        var file = PickFile(rng, corpus);
        var text = corpus[file].Text;
        var start = rng.Next(text.Length);
        var length = Math.Min(text.Length - start, 1 + rng.Next(120));
        return (file, text.Remove(start, length), $"{corpus[file].Path} without [{start}..{start + length})");
    }

    /// <summary>Three in four variants break a file that uses telemetry (services, handlers, consumers, publishers, workers).</summary>
    private static int PickFile(Random rng, IReadOnlyList<CorpusFile> corpus)
    {
        while (true)
        {
            var i = rng.Next(corpus.Count);
            var hosts = corpus[i].Path.EndsWith("Service.cs", StringComparison.Ordinal) || corpus[i].Path.EndsWith("Handler.cs", StringComparison.Ordinal)
                || corpus[i].Path.EndsWith("Consumer.cs", StringComparison.Ordinal) || corpus[i].Path.EndsWith("Publisher.cs", StringComparison.Ordinal)
                || corpus[i].Path.EndsWith("Worker.cs", StringComparison.Ordinal) || corpus[i].Mistakes.Count > 0;
            if (hosts || rng.Next(4) == 0)
            {
                return i;
            }
        }
    }
}
