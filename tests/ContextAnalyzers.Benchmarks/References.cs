using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers.Benchmarks;

/// <summary>Metadata references of the benchmark compilations, from the running framework and this program's output folder.</summary>
internal static class References
{
    private static IEnumerable<string> Framework()
    {
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return tpa.Where(p => string.Equals(Path.GetDirectoryName(p), frameworkDir, StringComparison.Ordinal))
                  .Where(p => !Path.GetFileName(p).StartsWith("Microsoft.VisualBasic", StringComparison.Ordinal))
                  .OrderBy(p => p, StringComparer.Ordinal);
    }

    /// <summary>The shared framework only (it contains System.Diagnostics.DiagnosticSource, as every .NET 8+ app does): no OpenTelemetry package.</summary>
    public static ImmutableArray<MetadataReference> FrameworkOnly() =>
        Framework().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();

    /// <summary>What an instrumented service references: the framework, OpenTelemetry (API + SDK), the Microsoft.Extensions abstractions, ContextAnalyzers.Runtime.</summary>
    public static ImmutableArray<MetadataReference> WithOpenTelemetry()
    {
        var baseDir = AppContext.BaseDirectory;
        var paths = Framework().ToList();
        paths.Add(typeof(OpenTelemetry.Baggage).Assembly.Location);
        paths.Add(typeof(OpenTelemetry.Sdk).Assembly.Location);
        paths.AddRange(Directory.GetFiles(baseDir, "Microsoft.Extensions.*.dll").Where(f => !paths.Any(p => Path.GetFileName(p) == Path.GetFileName(f))).OrderBy(f => f, StringComparer.Ordinal));
        paths.AddRange(Directory.GetFiles(baseDir, "OpenTelemetry.Api.ProviderBuilderExtensions.dll"));
        paths.Add(Path.Combine(baseDir, "ContextAnalyzers.Runtime.dll"));
        return paths.Distinct(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }

    /// <summary>The ASP.NET Core shared framework of the running .NET (HttpContext, middleware, hosting), for the real-code run.</summary>
    public static IEnumerable<MetadataReference> AspNetCore()
    {
        var netcore = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location)!)!)!;
        var version = Path.GetFileName(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        var dir = Path.Combine(netcore, "Microsoft.AspNetCore.App", version);
        var known = WithOpenTelemetry().Select(r => Path.GetFileName(r.Display)).ToHashSet(StringComparer.Ordinal);
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.dll").Where(f => !known.Contains(Path.GetFileName(f))).OrderBy(f => f, StringComparer.Ordinal).Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))
            : Enumerable.Empty<MetadataReference>();
    }
}
