using System.Collections.Immutable;
using System.Text;
using ContextAnalyzers.Corpus;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Tests.Reliability;

/// <summary>Compiles generated or on-disk corpora and runs every analyzer over them, collecting analyzer exceptions instead of throwing.</summary>
internal static class CorpusAnalysis
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Parse);

    /// <summary>True when the larger runs are requested (<c>CTX_ROBUSTNESS_LARGE=1</c>).</summary>
    public static bool Large => Environment.GetEnvironmentVariable("CTX_ROBUSTNESS_LARGE") is "1" or "true";

    public static CSharpCompilationOptions CompilationOptions { get; } = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        concurrentBuild: true,
        specificDiagnosticOptions: EnableAllRules());

    public static SyntaxTree Parse(string path, string text, CancellationToken cancellationToken = default) =>
        CSharpSyntaxTree.ParseText(SourceText.From(text, Encoding.UTF8), ParseOptions, path, cancellationToken);

    public static CSharpCompilation Compile(IEnumerable<CorpusFile> files, ReferenceSet references) =>
        Compile(files.Select(f => Parse(f.Path, f.Text)), references);

    public static CSharpCompilation Compile(IEnumerable<SyntaxTree> trees, ReferenceSet references) =>
        CSharpCompilation.Create("Corpus", trees, TestReferences.Get(references), CompilationOptions);

    public static IReadOnlyList<Diagnostic> Errors(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

    /// <summary>Turns on the rules that are off by default, so every rule runs.</summary>
    private static ImmutableDictionary<string, ReportDiagnostic> EnableAllRules()
    {
        var b = ImmutableDictionary.CreateBuilder<string, ReportDiagnostic>();
        foreach (var d in Catalog.Descriptors.Where(d => !d.IsEnabledByDefault))
        {
            b[d.Id] = d.DefaultSeverity switch
            {
                DiagnosticSeverity.Error => ReportDiagnostic.Error,
                DiagnosticSeverity.Warning => ReportDiagnostic.Warn,
                DiagnosticSeverity.Info => ReportDiagnostic.Info,
                _ => ReportDiagnostic.Hidden,
            };
        }

        return b.ToImmutable();
    }

    public static CompilationWithAnalyzers WithAnalyzers(Compilation compilation, AnalyzerFailures failures, ImmutableArray<DiagnosticAnalyzer> analyzers = default)
    {
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: failures.Record,
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        return compilation.WithAnalyzers(analyzers.IsDefault ? Catalog.Analyzers : analyzers, options);
    }

    /// <summary>Every analyzer over the whole compilation; exceptions go to <paramref name="failures"/> (AD0001 diagnostics too).</summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation, AnalyzerFailures failures, string what, CancellationToken cancellationToken = default, ImmutableArray<DiagnosticAnalyzer> analyzers = default)
    {
        var diagnostics = await WithAnalyzers(compilation, failures, analyzers).GetAnalyzerDiagnosticsAsync(cancellationToken);
        failures.RecordCrashDiagnostics(diagnostics, what);
        return diagnostics.Where(d => d.Id is not ("AD0001" or "AD0002")).ToImmutableArray();
    }

    /// <summary>Every analyzer over one tree, as the IDE does for an open document (syntax and semantic passes).</summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeTreeAsync(CompilationWithAnalyzers withAnalyzers, SyntaxTree tree, AnalyzerFailures failures, string what, CancellationToken cancellationToken = default)
    {
        var syntax = await withAnalyzers.GetAnalyzerSyntaxDiagnosticsAsync(tree, cancellationToken);
        var model = withAnalyzers.Compilation.GetSemanticModel(tree);
        var semantic = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, filterSpan: null, cancellationToken);
        var all = syntax.AddRange(semantic);
        failures.RecordCrashDiagnostics(all, what);
        return all.Where(d => d.Id is not ("AD0001" or "AD0002")).ToImmutableArray();
    }

    /// <summary>A diagnostic as one line with its file, position and the text it covers.</summary>
    public static string Describe(Diagnostic d)
    {
        if (!d.Location.IsInSource)
        {
            return d.ToString();
        }

        var span = d.Location.GetLineSpan();
        var text = d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan).Replace("\n", " ", StringComparison.Ordinal);
        if (text.Length > 80)
        {
            text = text[..77] + "...";
        }

        return $"{d.Id} {span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}) `{text}`: {d.GetMessage()}";
    }
}

/// <summary>Analyzer exceptions seen during a run, with the input that caused each (first few kept in full).</summary>
internal sealed class AnalyzerFailures
{
    private readonly List<string> failures = new();
    private string current = string.Empty;

    public int Count
    {
        get
        {
            lock (failures)
            {
                return failures.Count;
            }
        }
    }

    /// <summary>Names the input being analyzed, so a failure says which variant broke the analyzer.</summary>
    public void SetInput(string description) => current = description;

    public void Record(Exception exception, DiagnosticAnalyzer analyzer, Diagnostic diagnostic)
    {
        lock (failures)
        {
            failures.Add($"{analyzer.GetType().Name} threw {exception.GetType().Name} on {current}: {exception.Message}\n{exception.StackTrace}");
        }
    }

    public void RecordCrashDiagnostics(IEnumerable<Diagnostic> diagnostics, string what)
    {
        foreach (var d in diagnostics.Where(d => d.Id is "AD0001" or "AD0002"))
        {
            lock (failures)
            {
                failures.Add($"{d.Id} on {what}: {d.GetMessage()}");
            }
        }
    }

    public void AssertNone(string context)
    {
        lock (failures)
        {
            if (failures.Count > 0)
            {
                var distinct = failures.Distinct().ToList();
                Assert.Fail($"{failures.Count} analyzer exception(s) on {context} (AD0001 in a real build). First {Math.Min(5, distinct.Count)} distinct:\n\n" + string.Join("\n\n", distinct.Take(5)));
            }
        }
    }
}
