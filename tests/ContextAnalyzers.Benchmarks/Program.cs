using System.Globalization;
using BenchmarkDotNet.Running;

namespace ContextAnalyzers.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/ContextAnalyzers.Benchmarks -- analyzers [--runs 5] [--files 2700] [--update-docs docs/performance.md]</c>:
/// analyzer cost on the generated corpus. <c>-- runtime [BenchmarkDotNet options]</c>: runtime helpers vs the raw API.
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
                    Option(rest, "--update-docs"));
            case "runtime":
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? new[] { "--filter", "*" } : rest);
                return 0;
            default:
                Console.Error.WriteLine("usage: analyzers [--runs N] [--files N] [--update-docs path] | runtime [BenchmarkDotNet args]");
                return 2;
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
