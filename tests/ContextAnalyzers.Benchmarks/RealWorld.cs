using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ContextAnalyzers.Benchmarks;

/// <summary>
/// The real-code precision run (docs/precision.md): every project of a dev-set file (key, repo, commit, paths) already
/// extracted under <c>root/key</c> is compiled as one compilation of its <c>.cs</c> files against the shared framework
/// (ASP.NET Core included), OpenTelemetry and the Microsoft.Extensions abstractions; third-party references it lacks
/// stay unresolved (error types), which the analyzers must survive. Every diagnostic that the shipped severities
/// report (the Recommended preset: rules off by default stay off) is written as one row of a TSV, with the source line,
/// for a person to read and judge. Analyzer exceptions are counted and printed: there must be none.
/// </summary>
internal static class RealWorld
{
    private static readonly string[] ImplicitUsings =
    {
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    };

    private static readonly string[] Symbols =
    {
        "NET", "NETCOREAPP", "NET8_0", "NETCOREAPP3_1_OR_GREATER", "NETCOREAPP2_1_OR_GREATER", "NETCOREAPP2_0_OR_GREATER",
        "NETSTANDARD2_1_OR_GREATER", "NETSTANDARD2_0_OR_GREATER", "NET5_0_OR_GREATER", "NET6_0_OR_GREATER", "NET7_0_OR_GREATER",
        "NET8_0_OR_GREATER", "RELEASE", "TRACE",
    };

    public static async Task<int> RunAsync(string devSet, string root, string output, string? onlyKey, string? verdicts = null, bool timing = false)
    {
        var compilerTotal = TimeSpan.Zero;
        var analyzerTotals = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var analyzers = AnalyzerCost.Catalog();
        var references = References.WithOpenTelemetry().AddRange(References.AspNetCore());
        var parse = new CSharpParseOptions(LanguageVersion.Latest, preprocessorSymbols: Symbols);
        var rows = new List<string> { "key\tfile\tline\trule\tseverity\tmessage\tsource" };
        var crashes = 0;
        foreach (var (key, _, _, _) in ReadDevSet(devSet))
        {
            if (onlyKey is not null && !string.Equals(key, onlyKey, StringComparison.Ordinal))
            {
                continue;
            }

            var folder = Path.Combine(root, key);
            if (!Directory.Exists(folder))
            {
                Console.Error.WriteLine($"{key}: {folder} is missing (extract the dev set first, see docs/precision.md)");
                return 2;
            }

            var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToList();
            var trees = files.AsParallel().AsOrdered()
                .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, Path.GetRelativePath(folder, f), Encoding.UTF8))
                .ToList();
            trees.Add(CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), parse, "ImplicitUsings.g.cs"));
            var compilation = CSharpCompilation.Create(
                key, trees, references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
            var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), OnException, concurrentAnalysis: true, logAnalyzerExecutionTime: timing);
            void OnException(Exception e, DiagnosticAnalyzer a, Diagnostic d)
            {
                Interlocked.Increment(ref crashes);
                Console.Error.WriteLine($"{key}: {a.GetType().Name} threw {e.GetType().Name}: {e.Message}");
            }

            var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
            var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
            if (timing)
            {
                // Compiler time on a fresh compilation of the same trees (the analyzer run above bound its own copy).
                var compilerWatch = Stopwatch.StartNew();
                _ = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(trees).GetDiagnostics();
                compilerWatch.Stop();
                compilerTotal += compilerWatch.Elapsed;
                var summed = TimeSpan.Zero;
                var perAnalyzer = new List<(string Id, TimeSpan Time)>();
                foreach (var analyzer in analyzers)
                {
                    var time = (await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None)).ExecutionTime;
                    var id = analyzer.SupportedDiagnostics.IsEmpty ? analyzer.GetType().Name : analyzer.SupportedDiagnostics[0].Id;
                    summed += time;
                    perAnalyzer.Add((id, time));
                    analyzerTotals[id] = analyzerTotals.TryGetValue(id, out var total) ? total + time : time;
                }

                var top = string.Join(", ", perAnalyzer.OrderByDescending(a => a.Time).Take(3).Select(a => $"{a.Id} {Percent(a.Time, compilerWatch.Elapsed)}"));
                Console.WriteLine($"{key}: compiler {compilerWatch.ElapsedMilliseconds} ms, rules summed {(long)summed.TotalMilliseconds} ms ({Percent(summed, compilerWatch.Elapsed)}); costliest: {top}");
            }

            var reported = diagnostics
                .Where(d => d.Id.StartsWith("CTX", StringComparison.Ordinal) && d.Severity != DiagnosticSeverity.Hidden)
                .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
                .ThenBy(d => d.Location.SourceSpan.Start)
                .ToList();
            foreach (var d in reported)
            {
                var span = d.Location.GetLineSpan();
                var line = d.Location.SourceTree!.GetText().Lines[span.StartLinePosition.Line].ToString().Trim();
                rows.Add(string.Join('\t', key, span.Path, (span.StartLinePosition.Line + 1).ToString(CultureInfo.InvariantCulture), d.Id, d.Severity, Clean(d.GetMessage(CultureInfo.InvariantCulture)), Clean(line)));
            }

            var perRule = string.Join(", ", reported.GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
            Console.WriteLine($"{key}: {files.Count} files, {reported.Count} findings{(perRule.Length > 0 ? ": " + perRule : string.Empty)}");
        }

        if (timing && compilerTotal > TimeSpan.Zero)
        {
            var summedAll = analyzerTotals.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b);
            Console.WriteLine($"all projects: compiler {(long)compilerTotal.TotalMilliseconds} ms, rules summed {(long)summedAll.TotalMilliseconds} ms ({Percent(summedAll, compilerTotal)})");
            foreach (var (id, time) in analyzerTotals.OrderByDescending(a => a.Value))
            {
                Console.WriteLine($"  {id}\t{(long)time.TotalMilliseconds} ms\t{Percent(time, compilerTotal)}");
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllLines(output, rows);
        Console.WriteLine($"{rows.Count - 1} findings written to {output}; {crashes} analyzer exceptions");
        if (verdicts is not null)
        {
            Console.WriteLine();
            Console.WriteLine(Judge(rows.Skip(1).Select(r => r.Split('\t')).ToList(), verdicts));
        }

        return crashes == 0 ? 0 : 1;
    }

    /// <summary>
    /// Joins the findings with a person's verdicts (a TSV of key, file, line, rule, verdict, reason; verdict is true,
    /// intended or false) and prints the per-rule table of docs/precision.md, then every finding nobody has judged yet.
    /// </summary>
    private static string Judge(List<string[]> findings, string verdictsPath)
    {
        var verdicts = File.ReadLines(verdictsPath).Skip(1).Select(l => l.Split('\t')).Where(c => c.Length >= 5)
            .GroupBy(c => string.Join('|', c[0], c[1], c[2], c[3]), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[4], StringComparer.Ordinal);
        var table = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        var unjudged = new List<string>();
        foreach (var f in findings)
        {
            var rule = f[3];
            var counts = table.TryGetValue(rule, out var c) ? c : table[rule] = new int[4];
            switch (verdicts.TryGetValue(string.Join('|', f[0], f[1], f[2], f[3]), out var v) ? v : null)
            {
                case "true": counts[0]++; break;
                case "intended": counts[1]++; break;
                case "false": counts[2]++; break;
                default: counts[3]++; unjudged.Add(string.Join('\t', f[0], f[1], f[2], f[3], f[6])); break;
            }
        }

        var all = new int[4];
        var sb = new StringBuilder("| rule | findings | true | intended | false | unjudged | precision |\n|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var (rule, c) in table.Append(new KeyValuePair<string, int[]>("all rules", all)).ToList())
        {
            if (rule != "all rules")
            {
                for (var i = 0; i < 4; i++) all[i] += c[i];
            }

            var precision = c[0] + c[2] == 0 ? "-" : ((double)c[0] / (c[0] + c[2])).ToString("0.00", CultureInfo.InvariantCulture);
            sb.Append($"| {rule} | {c.Sum()} | {c[0]} | {c[1]} | {c[2]} | {c[3]} | {precision} |\n");
        }

        if (unjudged.Count > 0)
        {
            sb.Append($"\n{unjudged.Count} finding(s) without a verdict:\n").Append(string.Join("\n", unjudged)).Append('\n');
        }

        return sb.ToString();
    }

    private static string Clean(string s) => s.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');

    private static IEnumerable<(string Key, string Repo, string Commit, string Paths)> ReadDevSet(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("key\t", StringComparison.Ordinal))
            {
                continue;
            }

            var cells = line.Split('\t');
            if (cells.Length >= 4)
            {
                yield return (cells[0], cells[1], cells[2], cells[3]);
            }
        }
    }

    private static string Percent(TimeSpan part, TimeSpan whole) =>
        whole <= TimeSpan.Zero ? "-" : (100.0 * part.Ticks / whole.Ticks).ToString("0.00", CultureInfo.InvariantCulture) + "%";
}
