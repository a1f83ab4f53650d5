using System.Globalization;
using BenchmarkDotNet.Running;
using ContextAnalyzers.Corpus;

namespace ContextAnalyzers.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/ContextAnalyzers.Benchmarks -- analyzers [--runs 5] [--files 2700] [--update-docs docs/performance.md]</c>:
/// analyzer cost on the generated corpus (<c>--plain-only</c>: only the compilation without OpenTelemetry, to iterate on
/// the bail-out). <c>-- corpus [--out dir] [--plain]</c>: write the corpus to disk. <c>-- realworld</c>: the findings on
/// the real-code dev set (docs/precision.md). <c>-- runtime [BenchmarkDotNet options]</c>: runtime helpers vs the raw API.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "analyzers";
        var rest = args.Skip(1).ToArray();
        switch (mode)
        {
            case "analyzers":
                return await AnalyzerCost.RunAsync(
                    int.Parse(Option(rest, "--runs") ?? "5", CultureInfo.InvariantCulture),
                    int.Parse(Option(rest, "--files") ?? "2700", CultureInfo.InvariantCulture),
                    Option(rest, "--update-docs"),
                    rest.Contains("--plain-only"),
                    Option(rest, "--only"));
            case "corpus":
                return WriteCorpus(Option(rest, "--out") ?? "artifacts/corpus", rest.Contains("--plain"), int.Parse(Option(rest, "--files") ?? "2700", CultureInfo.InvariantCulture));
            case "realworld":
                return await RealWorld.RunAsync(
                    Option(rest, "--dev-set") ?? "../shared/realworld-dev-set.tsv",
                    Option(rest, "--root") ?? "artifacts/realworld",
                    Option(rest, "--out") ?? "artifacts/realworld-findings.tsv",
                    Option(rest, "--only-key"),
                    Option(rest, "--verdicts"),
                    rest.Contains("--timing"));
            case "runtime":
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? new[] { "--filter", "*" } : rest);
                return 0;
            default:
                Console.Error.WriteLine("usage: analyzers [--runs N] [--files N] [--update-docs path] [--plain-only] [--only CTXnnn] | corpus [--out dir] [--plain] [--files N] | realworld [--dev-set tsv] [--root dir] [--out tsv] [--only-key key] [--verdicts tsv] | runtime [BenchmarkDotNet args]");
                return 2;
        }
    }

    /// <summary>Writes the generated corpus (instrumented, or <c>--plain</c>: without telemetry) to a folder, to read or grep it.</summary>
    private static int WriteCorpus(string folder, bool plain, int files)
    {
        var corpus = CorpusGenerator.Generate(CorpusOptions.Benchmark with { FileCount = files, Instrumented = !plain });
        foreach (var file in corpus)
        {
            var path = Path.Combine(folder, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file.Text);
        }

        Console.WriteLine($"wrote {corpus.Count} files to {folder}");
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
