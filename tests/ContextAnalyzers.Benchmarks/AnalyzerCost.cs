using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ContextAnalyzers.Corpus;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Benchmarks;

/// <summary>
/// The analyzer cost benchmark: on a large generated compilation, the summed analyzer execution time
/// (<see cref="CompilationWithAnalyzers"/> with <c>logAnalyzerExecutionTime</c>) as a ratio to the compiler's own time
/// (<c>GetDiagnostics()</c> on a fresh compilation of the same trees), for the whole rule set and per analyzer; the same
/// on a compilation that uses no OpenTelemetry (bail-out cost); a do-nothing floor analyzer; marginal wall time over the
/// floor; allocations and peak working set of each run. Median of several runs, each on fresh compilations.
/// BenchmarkDotNet is not used here: one iteration takes tens of seconds and the quantity is a ratio of Roslyn's own
/// telemetry, not a microbenchmark.
/// </summary>
internal static class AnalyzerCost
{
    public static async Task<int> RunAsync(int runs, int files, string? updateDocs, bool plainOnly = false, string? only = null)
    {
        var analyzers = Catalog();
        if (only is not null)
        {
            // One analyzer alone (by a part of its name, e.g. CTX401): its cost without the others sharing the per-file
            // name index and type lookups. Not for --update-docs.
            analyzers = analyzers.Where(a => a.GetType().Name.Contains(only, StringComparison.Ordinal)).ToImmutableArray();
            updateDocs = null;
        }

        Console.WriteLine($"ContextAnalyzers analyzer cost: {analyzers.Length} analyzers, {runs} runs, {files} files");
        var instrumented = CorpusGenerator.Generate(CorpusOptions.Benchmark with { FileCount = files });
        var plain = CorpusGenerator.Generate(CorpusOptions.Benchmark with { FileCount = files, Instrumented = false });
        var withOtel = References.WithOpenTelemetry();
        var withoutOtel = References.FrameworkOnly();
        Console.WriteLine($"corpus: {instrumented.Count} files, {instrumented.Sum(f => f.LineCount):N0} lines (instrumented); {plain.Count} files, {plain.Sum(f => f.LineCount):N0} lines (no OpenTelemetry)");

        // Warm-up: JIT Roslyn, the analyzers and the floor on a small corpus of the same shape.
        var warm = Parse(CorpusGenerator.Generate(CorpusOptions.Small(120)));
        if (!analyzers.IsEmpty)
        {
            await MeasureAsync(warm, withOtel, analyzers);
        }

        await MeasureAsync(warm, withOtel, ImmutableArray.Create<DiagnosticAnalyzer>(new FloorAnalyzer()));

        if (plainOnly)
        {
            // Only the bail-out input: a quick loop while working on the no-OpenTelemetry cost (no docs update).
            for (var i = 0; i < runs; i++)
            {
                var plainTrees = Parse(plain);
                var compiler = await MeasureAsync(plainTrees, withoutOtel, default);
                var rules = await MeasureAsync(plainTrees, withoutOtel, analyzers);
                Console.WriteLine($"run {i + 1}/{runs}: no-OTel compiler {Ms(compiler.Wall)}, rules {Ms(rules.Summed)} summed ({Pct(rules.Summed, compiler.Wall)}), {rules.Diagnostics} diagnostics, {rules.Crashes} analyzer exceptions");
                foreach (var (name, time) in rules.PerAnalyzer.OrderByDescending(p => p.Value))
                {
                    Console.WriteLine($"  {name}: {Ms(time)}");
                }
            }

            return 0;
        }

        var results = new List<Run>();
        for (var i = 0; i < runs; i++)
        {
            // Fresh trees every run: per-tree caches (the analyzers' name index) must not make later runs look cheaper.
            var instrumentedTrees = Parse(instrumented);
            var plainTrees = Parse(plain);
            var run = new Run
            {
                Compiler = await MeasureAsync(instrumentedTrees, withOtel, default),
                Floor = await MeasureAsync(instrumentedTrees, withOtel, ImmutableArray.Create<DiagnosticAnalyzer>(new FloorAnalyzer())),
                Rules = analyzers.IsEmpty ? null : await MeasureAsync(instrumentedTrees, withOtel, analyzers),
                PlainCompiler = await MeasureAsync(plainTrees, withoutOtel, default),
                PlainRules = analyzers.IsEmpty ? null : await MeasureAsync(plainTrees, withoutOtel, analyzers),
            };
            results.Add(run);
            Console.WriteLine($"run {i + 1}/{runs}: compiler {Ms(run.Compiler.Wall)} (cpu {Ms(run.Compiler.Cpu)}), floor {Ms(run.Floor.Summed)} summed / {Ms(run.Floor.Wall)} wall, " +
                (run.Rules is null ? "no rules" : $"rules {Ms(run.Rules.Summed)} summed / {Ms(run.Rules.Wall)} wall") +
                $"; no-OTel compiler {Ms(run.PlainCompiler.Wall)}" + (run.PlainRules is null ? string.Empty : $", rules {Ms(run.PlainRules.Summed)} summed"));
        }

        var report = Report(analyzers, instrumented, plain, results);
        Console.WriteLine();
        Console.WriteLine(report);
        if (updateDocs is not null)
        {
            UpdateDocs(updateDocs, report);
            Console.WriteLine($"updated {updateDocs}");
        }

        return 0;
    }

    public static ImmutableArray<DiagnosticAnalyzer> Catalog() => typeof(DiagnosticIds).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    private static ImmutableArray<SyntaxTree> Parse(IReadOnlyList<CorpusFile> files)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        return files.AsParallel().AsOrdered().Select(f => CSharpSyntaxTree.ParseText(f.Text, options, f.Path)).ToImmutableArray();
    }

    private static CSharpCompilation Compile(ImmutableArray<SyntaxTree> trees, ImmutableArray<MetadataReference> references) =>
        CSharpCompilation.Create("Bench", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>One phase on a fresh compilation: the compiler alone (no analyzers) or the analyzers (which bind what they need).</summary>
    private static async Task<Measurement> MeasureAsync(ImmutableArray<SyntaxTree> trees, ImmutableArray<MetadataReference> references, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        Collect();
        var compilation = Compile(trees, references);

        // Bind the references before the clock starts, in every phase: every build does it, and otherwise the first
        // analyzer to ask for a type by name pays it inside its callback (15-40 ms here), so the per-analyzer table would
        // charge one rule with the compiler's own work.
        _ = compilation.GetSpecialType(SpecialType.System_Object);
        using var sampler = new PeakSampler();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var m = new Measurement();
        if (analyzers.IsDefault)
        {
            var errors = compilation.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
            m.Wall = watch.Elapsed;
            m.Errors = errors;
        }
        else
        {
            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                onAnalyzerException: (ex, a, _) => Console.Error.WriteLine($"{a.GetType().Name} threw {ex.GetType().Name}: {ex.Message}"),
                concurrentAnalysis: true,
                logAnalyzerExecutionTime: true,
                reportSuppressedDiagnostics: false);
            var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
            var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
            m.Wall = watch.Elapsed;
            m.Diagnostics = diagnostics.Length;
            m.Crashes = diagnostics.Count(d => d.Id is "AD0001" or "AD0002");
            foreach (var analyzer in analyzers)
            {
                var info = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
                m.PerAnalyzer[analyzer.GetType().Name] = info.ExecutionTime;
                m.Summed += info.ExecutionTime;
            }

            m.ById = diagnostics.GroupBy(d => d.Id).ToDictionary(g => g.Key, g => g.Count());
        }

        m.Cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        m.Allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        m.PeakWorkingSet = sampler.Peak;
        GC.KeepAlive(compilation);
        return m;
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static string Report(ImmutableArray<DiagnosticAnalyzer> analyzers, IReadOnlyList<CorpusFile> instrumented, IReadOnlyList<CorpusFile> plain, List<Run> runs)
    {
        var ci = CultureInfo.InvariantCulture;
        var compiler = Median(runs.Select(r => r.Compiler.Wall));
        var plainCompiler = Median(runs.Select(r => r.PlainCompiler.Wall));
        var floorSummed = Median(runs.Select(r => r.Floor.Summed));
        var floorWall = Median(runs.Select(r => r.Floor.Wall));
        var sb = new StringBuilder();
        sb.AppendLine(string.Format(ci, "{0}", $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} logical cores ({RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}), " +
            $".NET {Environment.Version}, Roslyn {typeof(Compilation).Assembly.GetName().Version}; median of {runs.Count} runs, each phase on a fresh compilation."));
        sb.AppendLine();
        sb.AppendLine(string.Format(ci, "{0}", $"Corpus: {instrumented.Count:N0} files / {instrumented.Sum(f => f.LineCount):N0} lines with OpenTelemetry " +
            $"({instrumented.Count(f => f.Mistakes.Count > 0)} files with seeded mistakes); the same services without telemetry: {plain.Count:N0} files / {plain.Sum(f => f.LineCount):N0} lines, " +
            "compiled against the framework only. " + $"Analyzers: {analyzers.Length} ({string.Join(", ", analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().OrderBy(x => x))})."));
        sb.AppendLine();
        sb.AppendLine("| measurement | time (median) | ratio to compiler | target |");
        sb.AppendLine("|---|---:|---:|---|");
        sb.AppendLine(ci, $"| compiler `GetDiagnostics()` (with OpenTelemetry) | {Ms(compiler)} | 100% | |");
        sb.AppendLine(ci, $"| floor: do-nothing operation analyzer, summed callback time | {Ms(floorSummed)} | {Pct(floorSummed, compiler)} | (reference) |");
        if (runs[0].Rules is not null)
        {
            var rulesSummed = Median(runs.Select(r => r.Rules!.Summed));
            var rulesWall = Median(runs.Select(r => r.Rules!.Wall));
            var plainRules = Median(runs.Select(r => r.PlainRules!.Summed));
            sb.AppendLine(ci, $"| **whole rule set**, summed execution time | {Ms(rulesSummed)} | **{Pct(rulesSummed, compiler)}** | ≤ 10% {(rulesSummed.Ticks <= compiler.Ticks / 10 ? "met" : "NOT met")} |");
            sb.AppendLine(ci, $"| whole rule set minus floor (summed) | {Ms(rulesSummed - floorSummed)} | {Pct(rulesSummed - floorSummed, compiler)} | |");
            sb.AppendLine(ci, $"| marginal wall time of the analysis over the floor's | {Ms(rulesWall - floorWall)} (rules {Ms(rulesWall)}, floor {Ms(floorWall)}) | {Pct(rulesWall - floorWall, compiler)} | |");
            var compilerCpu = Median(runs.Select(r => r.Compiler.Cpu));
            var rulesCpu = Median(runs.Select(r => r.Rules!.Cpu));
            var floorCpu = Median(runs.Select(r => r.Floor.Cpu));
            sb.AppendLine(ci, $"| marginal CPU time of the analysis over the floor's | {Ms(rulesCpu - floorCpu)} (rules {Ms(rulesCpu)}, floor {Ms(floorCpu)}) | {Pct(rulesCpu - floorCpu, compilerCpu)} of compiler CPU {Ms(compilerCpu)} | |");
            sb.AppendLine(ci, $"| compiler `GetDiagnostics()` (no OpenTelemetry) | {Ms(plainCompiler)} | 100% | |");
            sb.AppendLine(ci, $"| **whole rule set without OpenTelemetry** (bail-out), summed | {Ms(plainRules)} | **{Pct(plainRules, plainCompiler)}** | ≤ 1% {(plainRules.Ticks <= plainCompiler.Ticks / 100 ? "met" : "NOT met")} |");
            sb.AppendLine();
            sb.AppendLine("Per analyzer (summed execution time on the instrumented corpus, median; diagnostics reported):");
            sb.AppendLine();
            sb.AppendLine("| analyzer | rules | time | ratio to compiler | no-OTel time | no-OTel ratio | diagnostics |");
            sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
            foreach (var a in analyzers.OrderByDescending(a => Median(runs.Select(r => r.Rules!.PerAnalyzer[a.GetType().Name]))))
            {
                var name = a.GetType().Name;
                var t = Median(runs.Select(r => r.Rules!.PerAnalyzer[name]));
                var p = Median(runs.Select(r => r.PlainRules!.PerAnalyzer[name]));
                var ids = a.SupportedDiagnostics.Select(d => d.Id).Distinct().ToList();
                var count = ids.Sum(id => runs[0].Rules!.ById.GetValueOrDefault(id));
                sb.AppendLine(ci, $"| {name} | {string.Join(", ", ids)} | {Ms(t)} | {Pct(t, compiler)} | {Ms(p)} | {Pct(p, plainCompiler)} | {count} |");
            }

            sb.AppendLine();
            sb.AppendLine("Memory (median per run; allocations are the whole process's during the phase, peak working set sampled every 20 ms):");
            sb.AppendLine();
            sb.AppendLine("| phase | allocated | peak working set |");
            sb.AppendLine("|---|---:|---:|");
            sb.AppendLine(ci, $"| compiler `GetDiagnostics()` | {Mb(MedianL(runs.Select(r => r.Compiler.Allocated)))} | {Mb(MedianL(runs.Select(r => r.Compiler.PeakWorkingSet)))} |");
            sb.AppendLine(ci, $"| floor analyzer run (binds every body) | {Mb(MedianL(runs.Select(r => r.Floor.Allocated)))} | {Mb(MedianL(runs.Select(r => r.Floor.PeakWorkingSet)))} |");
            sb.AppendLine(ci, $"| whole rule set run | {Mb(MedianL(runs.Select(r => r.Rules!.Allocated)))} | {Mb(MedianL(runs.Select(r => r.Rules!.PeakWorkingSet)))} |");
            sb.AppendLine(ci, $"| whole rule set, no OpenTelemetry | {Mb(MedianL(runs.Select(r => r.PlainRules!.Allocated)))} | {Mb(MedianL(runs.Select(r => r.PlainRules!.PeakWorkingSet)))} |");
            sb.AppendLine();
            sb.AppendLine(string.Format(ci, "{0}", $"Diagnostics on the instrumented corpus: {string.Join(", ", runs[0].Rules!.ById.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}"))}; " +
                $"on the corpus without OpenTelemetry: {runs[0].PlainRules!.Diagnostics}; analyzer exceptions: {runs.Sum(r => r.Rules!.Crashes + r.PlainRules!.Crashes)}; compiler errors: {runs[0].Compiler.Errors} / {runs[0].PlainCompiler.Errors}."));
        }
        else
        {
            sb.AppendLine();
            sb.AppendLine("No analyzer in the catalog: only the compiler and the floor were measured.");
        }

        return sb.ToString();
    }

    private static void UpdateDocs(string path, string report)
    {
        const string Start = "<!-- analyzer-results:start -->";
        const string End = "<!-- analyzer-results:end -->";
        var text = File.ReadAllText(path);
        var s = text.IndexOf(Start, StringComparison.Ordinal);
        var e = text.IndexOf(End, StringComparison.Ordinal);
        if (s < 0 || e < s)
        {
            throw new InvalidOperationException($"{path} has no {Start} ... {End} section.");
        }

        File.WriteAllText(path, text[..(s + Start.Length)] + "\n" + report.TrimEnd() + "\n" + text[e..]);
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : TimeSpan.FromTicks((sorted[sorted.Count / 2 - 1].Ticks + sorted[sorted.Count / 2].Ticks) / 2);
    }

    private static long MedianL(IEnumerable<long> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("N0", CultureInfo.InvariantCulture) + " ms";

    private static string Pct(TimeSpan part, TimeSpan whole) => (100.0 * part.Ticks / whole.Ticks).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("N0", CultureInfo.InvariantCulture) + " MB";

    private sealed class Run
    {
        public required Measurement Compiler { get; init; }

        public required Measurement Floor { get; init; }

        public Measurement? Rules { get; init; }

        public required Measurement PlainCompiler { get; init; }

        public Measurement? PlainRules { get; init; }
    }

    private sealed class Measurement
    {
        public TimeSpan Wall { get; set; }

        public TimeSpan Summed { get; set; }

        /// <summary>Process CPU time of the phase: robust to other processes competing for the cores.</summary>
        public TimeSpan Cpu { get; set; }

        public long Allocated { get; set; }

        public long PeakWorkingSet { get; set; }

        public int Diagnostics { get; set; }

        public int Crashes { get; set; }

        public int Errors { get; set; }

        public Dictionary<string, TimeSpan> PerAnalyzer { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> ById { get; set; } = new(StringComparer.Ordinal);
    }

    private sealed class PeakSampler : IDisposable
    {
        private readonly Thread thread;
        private volatile bool stop;
        private long peak;

        public PeakSampler()
        {
            thread = new Thread(() =>
            {
                using var process = Process.GetCurrentProcess();
                while (!stop)
                {
                    process.Refresh();
                    peak = Math.Max(peak, process.WorkingSet64);
                    Thread.Sleep(20);
                }
            }) { IsBackground = true };
            thread.Start();
        }

        public long Peak => Interlocked.Read(ref peak);

        public void Dispose()
        {
            stop = true;
            thread.Join();
        }
    }
}

/// <summary>The floor: registers one operation action on invocations and does nothing in it.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class FloorAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Never = new("FLOOR001", "Floor", "Floor", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationAction(static _ => { }, OperationKind.Invocation);
    }
}
