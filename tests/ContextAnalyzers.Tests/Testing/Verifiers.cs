using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>
/// <c>using Verify = CodeFixVerifier&lt;CTX101AmbientContextNotRestoredAnalyzer, CTX101AmbientContextNotRestoredCodeFix&gt;;</c>
/// then <c>Verify.VerifyAnalyzerAsync(markup)</c>, <c>Verify.VerifyCodeFixAsync(markup, fixedCode, key)</c>,
/// or a full <c>Verify.Create()</c> test (a <see cref="ContextCodeFixTest{TAnalyzer, TCodeFix}"/>) with options.
/// </summary>
public static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(string id) => Verifiers.Diagnostic(new TAnalyzer(), id);

    public static ContextCodeFixTest<TAnalyzer, TCodeFix> Create() => new();

    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = Create();
        test.TestCode = source;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static Task VerifyCodeFixAsync(string source, string fixedSource, string? equivalenceKey = null, params DiagnosticResult[] expected)
    {
        var test = Create();
        test.TestCode = source;
        test.FixedCode = fixedSource;
        test.CodeActionEquivalenceKey = equivalenceKey;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static Task VerifyNoCodeFixOfferedAsync(string source, string equivalenceKey, ReferenceSet references = ReferenceSet.All)
    {
        var test = Create();
        test.TestCode = source;
        test.References = references;
        test.NoFixOfferedKey = equivalenceKey;
        return test.RunAsync();
    }
}

/// <summary>For analyzers without a fixer: a <see cref="ContextAnalyzerTest{TAnalyzer}"/>.</summary>
public static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => Verifiers.Diagnostic(new TAnalyzer(), id);

    public static ContextAnalyzerTest<TAnalyzer> Create() => new();

    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = Create();
        test.TestCode = source;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}

/// <summary>Every analyzer of the package at once: for "one statement, one diagnostic" tests across rules and for corpora.</summary>
public static class AllAnalyzersVerifier
{
    public static ImmutableArray<DiagnosticAnalyzer> All => Catalog.Analyzers;

    public static DiagnosticResult Diagnostic(string id)
        => (Catalog.Descriptors.FirstOrDefault(d => d.Id == id) is { } descriptor ? new DiagnosticResult(descriptor) : new DiagnosticResult(id, DiagnosticSeverity.Warning)).WithMessage(null);

    public static AnalyzerTest Create() => new(All);

    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = Create();
        test.TestCode = source;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}

internal static class Verifiers
{
    /// <summary>
    /// The framework's result for the analyzer's descriptor (its default severity, checked), or a warning for another
    /// ID. The message is checked through <c>WithArguments</c> or <c>WithMessage</c>, not by default.
    /// </summary>
    public static DiagnosticResult Diagnostic(DiagnosticAnalyzer analyzer, string id)
        => (analyzer.SupportedDiagnostics.FirstOrDefault(d => d.Id == id) is { } descriptor
            ? new DiagnosticResult(descriptor)
            : new DiagnosticResult(id, DiagnosticSeverity.Warning)).WithMessage(null);
}

/// <summary>The package's analyzers and fixers, found by reflection so a new rule is covered without registration.</summary>
public static class Catalog
{
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(DiagnosticIds).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static readonly ImmutableArray<CodeFixProvider> CodeFixes = Assembly("ContextAnalyzers.CodeFixes").GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(ExportCodeFixProviderAttribute), false).Length > 0)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static readonly ImmutableArray<DiagnosticDescriptor> Descriptors = Analyzers.SelectMany(a => a.SupportedDiagnostics)
        .GroupBy(d => d.Id)
        .Select(g => g.First())
        .OrderBy(d => d.Id, StringComparer.Ordinal)
        .ToImmutableArray();

    private static System.Reflection.Assembly Assembly(string name) => System.Reflection.Assembly.Load(name);
}

/// <summary>
/// For half-typed code: runs analyzers on source that need not compile (Roslyn's CompilationWithAnalyzers, no
/// expectations) and fails only on an analyzer exception. Returns the analyzer diagnostics so a test can also check
/// that nothing nonsensical is reported.
/// </summary>
public static class CrashVerifier
{
    public static async Task<ImmutableArray<Diagnostic>> AssertNoCrashAsync(string source, ReferenceSet references = ReferenceSet.All, ImmutableArray<DiagnosticAnalyzer> analyzers = default)
    {
        var test = new AnalyzerTest(analyzers.IsDefault ? Catalog.Analyzers : analyzers) { References = references };
        var project = await test.CreateProjectAsync(new[] { source });
        var compilation = (await project.GetCompilationAsync())!;
        return await AnalyzerRunner.RunAsync(project, compilation, test.Analyzers, CancellationToken.None);
    }
}
