using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using ContextAnalyzers.Tests.Meta;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>What a test compilation references beyond the target framework's own reference assemblies.</summary>
[Flags]
public enum ReferenceSet
{
    /// <summary>The target framework without System.Diagnostics.DiagnosticSource.</summary>
    FrameworkOnly = 0,

    /// <summary>System.Diagnostics.DiagnosticSource (Activity, ActivitySource).</summary>
    DiagnosticSource = 1,

    /// <summary>The OpenTelemetry.Api package (Baggage, RuntimeContext, propagators, Tracer).</summary>
    OpenTelemetryApi = 2,

    /// <summary>The OpenTelemetry package (the SDK: Sdk, providers) and the Microsoft.Extensions packages it depends on.</summary>
    OpenTelemetrySdk = 4,

    /// <summary>ContextAnalyzers.Runtime (the helpers the fixes rewrite to).</summary>
    Runtime = 8,

    /// <summary>Everything: what a real instrumented service references.</summary>
    All = DiagnosticSource | OpenTelemetryApi | OpenTelemetrySdk | Runtime,

    /// <summary>Everything but the runtime helpers: proves the no-fix case.</summary>
    AllButRuntime = DiagnosticSource | OpenTelemetryApi | OpenTelemetrySdk,
}

/// <summary>The target framework a test compilation is built for.</summary>
public enum TargetFramework
{
    /// <summary><c>ReferenceAssemblies.Net.Net80</c>: every test runs here.</summary>
    Net80,

    /// <summary><c>ReferenceAssemblies.NetFramework.Net472</c>: OpenTelemetry users on .NET Framework.</summary>
    Net472,

    /// <summary>.NET 10 (Microsoft.NETCore.App.Ref 10.0.10): where the newest OpenTelemetry needs a newer framework than net8.0.</summary>
    Net100,
}

/// <summary>A target framework and the OpenTelemetry package version the snippets compile against.</summary>
public sealed record ReferenceProfile(TargetFramework Framework, string OpenTelemetryVersion)
{
    public static ReferenceProfile Default { get; } = new(TargetFramework.Net80, TestReferences.OpenTelemetryTestVersion);

    public override string ToString() => Framework + " + OpenTelemetry " + OpenTelemetryVersion;
}

/// <summary>
/// Builds the framework's <see cref="ReferenceAssemblies"/> for a <see cref="ReferenceSet"/>: the target framework's
/// reference pack plus the OpenTelemetry packages, resolved through the repository's nuget.config (the configured feed)
/// into the global packages folder at test time. Each combination is created once, so each resolves once per run.
/// </summary>
public static class TestReferences
{
    public static string OpenTelemetryTestVersion { get; } = Metadata("OpenTelemetryTestVersion");

    /// <summary>The lowest OpenTelemetry version the runtime supports (its own dependency).</summary>
    public static string OpenTelemetryLowestVersion { get; } = Metadata("OpenTelemetryLowestVersion");

    /// <summary>The newest OpenTelemetry version the feed serves.</summary>
    public static string OpenTelemetryNewestVersion { get; } = Metadata("OpenTelemetryNewestVersion");

    private static readonly AsyncLocal<ReferenceProfile?> Ambient = new();

    private static readonly ConcurrentDictionary<(TargetFramework, ReferenceSet, string), ReferenceAssemblies> AssembliesCache = new();

    private static readonly ConcurrentDictionary<(ReferenceSet, ReferenceProfile), Lazy<Task<ImmutableArray<MetadataReference>>>> ResolvedCache = new();

    private static readonly ConcurrentDictionary<TargetFramework, MetadataReference> RuntimeCache = new();

    /// <summary>The profile tests run under unless one sets its own: <see cref="ReferenceProfile.Default"/>, or what <see cref="Use"/> set.</summary>
    public static ReferenceProfile Current => Ambient.Value ?? ReferenceProfile.Default;

    /// <summary>Runs every test started in this async flow under <paramref name="profile"/> until disposed.</summary>
    public static IDisposable Use(ReferenceProfile profile)
    {
        var previous = Ambient.Value;
        Ambient.Value = profile;
        return new Restore(previous);
    }

    /// <summary>The framework's reference assemblies and packages; the runtime and the DiagnosticSource filter are applied by the harness.</summary>
    public static ReferenceAssemblies Assemblies(ReferenceSet set, ReferenceProfile profile)
    {
        var packages = set & (ReferenceSet.OpenTelemetryApi | ReferenceSet.OpenTelemetrySdk);
        return AssembliesCache.GetOrAdd((profile.Framework, packages, profile.OpenTelemetryVersion), key =>
        {
            var assemblies = key.Item1 switch
            {
                TargetFramework.Net472 => ReferenceAssemblies.NetFramework.Net472.Default,
                TargetFramework.Net100 => new ReferenceAssemblies("net10.0", new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.10"), Path.Combine("ref", "net10.0")),
                _ => ReferenceAssemblies.Net.Net80,
            };
            var config = Path.Combine(RepoPaths.Root, "nuget.config");
            if (File.Exists(config))
            {
                assemblies = assemblies.WithNuGetConfigFilePath(config);
            }

            var ids = ImmutableArray.CreateBuilder<PackageIdentity>();
            if (key.Item2.HasFlag(ReferenceSet.OpenTelemetrySdk))
            {
                ids.Add(new PackageIdentity("OpenTelemetry", key.Item3));
            }
            else if (key.Item2.HasFlag(ReferenceSet.OpenTelemetryApi))
            {
                ids.Add(new PackageIdentity("OpenTelemetry.Api", key.Item3));
            }

            return ids.Count == 0 ? assemblies : assemblies.AddPackages(ids.ToImmutable());
        });
    }

    /// <summary>ContextAnalyzers.Runtime as built for the target framework (net8.0, or netstandard2.0 for .NET Framework).</summary>
    public static MetadataReference Runtime(TargetFramework framework) => RuntimeCache.GetOrAdd(framework, f =>
    {
        var path = f == TargetFramework.Net472
            ? Path.Combine(AppContext.BaseDirectory, "netstandard2.0", "ContextAnalyzers.Runtime.dll")
            : Path.Combine(AppContext.BaseDirectory, "ContextAnalyzers.Runtime.dll");
        return MetadataReference.CreateFromFile(path);
    });

    /// <summary>True for a reference the set excludes: System.Diagnostics.DiagnosticSource when the set does not name it.</summary>
    public static bool Excludes(ReferenceSet set, MetadataReference reference)
        => !set.HasFlag(ReferenceSet.DiagnosticSource)
           && reference is PortableExecutableReference { FilePath: { } path }
           && string.Equals(Path.GetFileName(path), "System.Diagnostics.DiagnosticSource.dll", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every metadata reference of the set under the profile, for harnesses that build compilations themselves.</summary>
    public static Task<ImmutableArray<MetadataReference>> ResolveAsync(ReferenceSet set, ReferenceProfile profile, CancellationToken cancellationToken = default)
        => ResolvedCache.GetOrAdd((set, profile), key => new Lazy<Task<ImmutableArray<MetadataReference>>>(async () =>
        {
            var resolved = await Assemblies(key.Item1, key.Item2).ResolveAsync(LanguageNames.CSharp, CancellationToken.None).ConfigureAwait(false);
            var references = resolved.Where(r => !Excludes(key.Item1, r)).ToList();
            if (key.Item1.HasFlag(ReferenceSet.Runtime))
            {
                references.Add(Runtime(key.Item2.Framework));
            }

            return references.ToImmutableArray();
        })).Value;

    /// <summary>Synchronous form of <see cref="ResolveAsync"/> under the current profile, for corpus harnesses.</summary>
    public static ImmutableArray<MetadataReference> Get(ReferenceSet set)
    {
        var profile = Current;
        return Task.Run(() => ResolveAsync(set, profile)).GetAwaiter().GetResult();
    }

    private static string Metadata(string key)
        => typeof(TestReferences).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
           ?? throw new InvalidOperationException("No assembly metadata " + key);

    private sealed class Restore : IDisposable
    {
        private readonly ReferenceProfile? previous;

        public Restore(ReferenceProfile? previous) => this.previous = previous;

        public void Dispose() => Ambient.Value = previous;
    }
}
