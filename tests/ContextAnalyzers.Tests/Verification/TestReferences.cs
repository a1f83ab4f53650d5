using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>What a test compilation references beyond the shared framework's own assemblies.</summary>
[Flags]
public enum ReferenceSet
{
    /// <summary>The shared framework without System.Diagnostics.DiagnosticSource.</summary>
    FrameworkOnly = 0,

    /// <summary>System.Diagnostics.DiagnosticSource (Activity, ActivitySource).</summary>
    DiagnosticSource = 1,

    /// <summary>OpenTelemetry.Api (Baggage, RuntimeContext, propagators, Tracer).</summary>
    OpenTelemetryApi = 2,

    /// <summary>OpenTelemetry (the SDK: Sdk, providers) and the Microsoft.Extensions abstractions it needs.</summary>
    OpenTelemetrySdk = 4,

    /// <summary>ContextAnalyzers.Runtime (the helpers the fixes rewrite to).</summary>
    Runtime = 8,

    /// <summary>Everything: what a real instrumented service references.</summary>
    All = DiagnosticSource | OpenTelemetryApi | OpenTelemetrySdk | Runtime,

    /// <summary>Everything but the runtime helpers: proves the no-fix case.</summary>
    AllButRuntime = DiagnosticSource | OpenTelemetryApi | OpenTelemetrySdk,
}

public static class TestReferences
{
    private static readonly Lazy<ImmutableArray<string>> FrameworkPaths = new(() =>
    {
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return tpa.Where(p => string.Equals(Path.GetDirectoryName(p), frameworkDir, StringComparison.Ordinal))
                  .Where(p => !Path.GetFileName(p).StartsWith("Microsoft.VisualBasic", StringComparison.Ordinal))
                  .OrderBy(p => p, StringComparer.Ordinal)
                  .ToImmutableArray();
    });

    private static readonly Dictionary<ReferenceSet, ImmutableArray<MetadataReference>> Cache = new();

    public static ImmutableArray<MetadataReference> Get(ReferenceSet set)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(set, out var refs))
            {
                refs = Build(set);
                Cache[set] = refs;
            }

            return refs;
        }
    }

    private static ImmutableArray<MetadataReference> Build(ReferenceSet set)
    {
        var paths = new List<string>();
        foreach (var p in FrameworkPaths.Value)
        {
            var name = Path.GetFileNameWithoutExtension(p);
            if (name == "System.Diagnostics.DiagnosticSource" && !set.HasFlag(ReferenceSet.DiagnosticSource))
            {
                continue;
            }

            paths.Add(p);
        }

        var baseDir = AppContext.BaseDirectory;
        if (set.HasFlag(ReferenceSet.OpenTelemetryApi))
        {
            paths.Add(typeof(OpenTelemetry.Baggage).Assembly.Location);
        }

        if (set.HasFlag(ReferenceSet.OpenTelemetrySdk))
        {
            paths.Add(typeof(OpenTelemetry.Sdk).Assembly.Location);
            paths.AddRange(Directory.GetFiles(baseDir, "Microsoft.Extensions.*.dll").Where(f => !paths.Any(p => Path.GetFileName(p) == Path.GetFileName(f))).OrderBy(f => f, StringComparer.Ordinal));
            paths.AddRange(Directory.GetFiles(baseDir, "OpenTelemetry.Api.ProviderBuilderExtensions.dll"));
        }

        if (set.HasFlag(ReferenceSet.Runtime))
        {
            paths.Add(Path.Combine(baseDir, "ContextAnalyzers.Runtime.dll"));
        }

        return paths.Distinct(StringComparer.Ordinal)
                    .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
                    .ToImmutableArray();
    }
}
