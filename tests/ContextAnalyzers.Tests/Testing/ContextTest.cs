using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;

// The call-site names (ContextAnalyzers.Tests.Verification.CodeFixVerifier<,> ...) predate the move to
// Microsoft.CodeAnalysis.Testing and are kept so that test files need no edits.
namespace ContextAnalyzers.Tests.Verification;

/// <summary>What every test of this project sets on top of the framework's test: references, options, language.</summary>
public interface IContextTest
{
    ImmutableArray<DiagnosticAnalyzer> Analyzers { get; }

    CodeFixProvider? CodeFix { get; }

    /// <summary>A project of plain sources with the test's references and options, for tests that inspect compilations themselves.</summary>
    Task<Project> CreateProjectAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default);

    Project CreateProject(IReadOnlyList<string> sources);

    Task<ImmutableArray<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken);
}

/// <summary>The settings both test kinds share, and what they do to the framework's test state.</summary>
public sealed class ContextTestSettings
{
    /// <summary>Path of the .editorconfig next to the sources (the framework names sources /0/Test0.cs, ...).</summary>
    public const string EditorConfigPath = "/0/.editorconfig";

    public ReferenceSet References { get; set; } = ReferenceSet.All;

    /// <summary>Null: <see cref="TestReferences.Current"/> (Net80 and the test OpenTelemetry version, unless a matrix test set another).</summary>
    public ReferenceProfile? Profile { get; set; }

    /// <summary>An .editorconfig for the sources' folder (the header <c>root = true</c> and <c>[*.cs]</c> are added when absent).</summary>
    public string? EditorConfig { get; set; }

    /// <summary>A top-level .globalconfig (global analyzer config).</summary>
    public string? GlobalConfig { get; set; }

    public OutputKind OutputKind { get; set; } = OutputKind.DynamicallyLinkedLibrary;

    public LanguageVersion LanguageVersion { get; set; } = LanguageVersion.Latest;

    public ReferenceProfile EffectiveProfile => Profile ?? TestReferences.Current;

    /// <summary>
    /// The framework lists every rule of the analyzers in the compilation's specific options, enabled-by-default ones
    /// as <see cref="ReportDiagnostic.Default"/>; such an entry outranks <c>dotnet_diagnostic.ID.severity</c> in an
    /// .editorconfig, which users set. Only the entries that change something (rules off by default, AD0001) stay.
    /// </summary>
    public static Project KeepEditorConfigSeverities(Project project)
    {
        var options = project.CompilationOptions!;
        var specific = options.SpecificDiagnosticOptions.Where(kv => kv.Value != ReportDiagnostic.Default).ToImmutableDictionary();
        return project.WithCompilationOptions(options.WithSpecificDiagnosticOptions(specific));
    }

    public CompilationOptions CompilationOptions()
        => new CSharpCompilationOptions(OutputKind, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable);

    public ParseOptions ParseOptions() => new CSharpParseOptions(LanguageVersion, DocumentationMode.Diagnose);

    public string? EditorConfigText()
    {
        if (EditorConfig is null)
        {
            return null;
        }

        var content = EditorConfig;
        if (!content.Contains("root", StringComparison.Ordinal))
        {
            content = "root = true\n" + (content.Contains('[') ? string.Empty : "\n[*.cs]\n") + content;
        }

        return content;
    }

    public string? GlobalConfigText()
        => GlobalConfig is null ? null : GlobalConfig.Contains("is_global", StringComparison.Ordinal) ? GlobalConfig : "is_global = true\n" + GlobalConfig;

    /// <summary>Puts references and options into the framework's state (once, before the run).</summary>
    internal void Apply(ProjectState state, List<Func<Solution, ProjectId, Solution>> solutionTransforms, Action<ReferenceAssemblies> setReferenceAssemblies)
    {
        var profile = EffectiveProfile;
        setReferenceAssemblies(TestReferences.Assemblies(References, profile));
        state.OutputKind = OutputKind;
        if (References.HasFlag(ReferenceSet.Runtime))
        {
            state.AdditionalReferences.Add(TestReferences.Runtime(profile.Framework));
        }

        if (!References.HasFlag(ReferenceSet.DiagnosticSource))
        {
            var set = References;
            solutionTransforms.Add((solution, projectId) =>
            {
                var project = solution.GetProject(projectId)!;
                return project.WithMetadataReferences(project.MetadataReferences.Where(r => !TestReferences.Excludes(set, r))).Solution;
            });
        }

        if (EditorConfigText() is { } editorConfig)
        {
            state.AnalyzerConfigFiles.Add((EditorConfigPath, SourceText.From(editorConfig)));
        }

        if (GlobalConfigText() is { } globalConfig)
        {
            state.AnalyzerConfigFiles.Add(("/.globalconfig", SourceText.From(globalConfig)));
        }
    }
}

/// <summary>
/// Checks the framework leaves out because our analyzers call <c>ConfigureGeneratedCodeAnalysis</c>, and the Roslyn
/// primitives the corpus-scale harnesses and the few hand-rolled tests build on.
/// </summary>
public static class ContextTestChecks
{
    /// <summary>The one rule the analyzers report, by ID (several descriptors may share it, with different messages); null when there are several.</summary>
    public static DiagnosticDescriptor? SingleRule(DiagnosticAnalyzer[] analyzers)
    {
        var descriptors = analyzers.SelectMany(a => a.SupportedDiagnostics).ToList();
        return descriptors.Count > 0 && descriptors.All(d => d.Id == descriptors[0].Id) ? descriptors[0] : null;
    }

    /// <summary>
    /// The framework skips its <c>&lt;auto-generated&gt;</c> check for analyzers that configure generated-code
    /// analysis; ours all do (<c>None</c>), so this checks what that promises: with <c>// &lt;auto-generated/&gt;</c> on
    /// top of every source, nothing is reported.
    /// </summary>
    public static async Task AssertSilentInGeneratedCodeAsync(IContextTest test, IEnumerable<string> markupSources, IEnumerable<DiagnosticResult> explicitExpectations, CancellationToken cancellationToken)
    {
        var texts = new List<string>();
        var expectsAnalyzerDiagnostic = explicitExpectations.Any(e => !e.Id.StartsWith("CS", StringComparison.Ordinal));
        foreach (var markup in markupSources)
        {
            var parsed = Markup.Parse(markup);
            texts.Add("// <auto-generated/>\n" + parsed.Text);
            expectsAnalyzerDiagnostic |= parsed.Spans.Any(s => s.Key is null && (s.Id is null || !s.Id.StartsWith("CS", StringComparison.Ordinal)));
        }

        if (!expectsAnalyzerDiagnostic)
        {
            return;
        }

        var project = await test.CreateProjectAsync(texts, cancellationToken);
        var ids = test.Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var reported = (await test.GetAllDiagnosticsAsync(project, cancellationToken)).Where(d => ids.Contains(d.Id)).ToList();
        if (reported.Count > 0)
        {
            throw new InvalidOperationException("With '// <auto-generated/>' on top, nothing must be reported, but the analyzers reported:\n" + string.Join("\n", reported.Select(d => "  " + d)));
        }
    }

    /// <summary>A project of plain (markup-free) sources with the test's references and options, on Roslyn's own workspace.</summary>
    public static async Task<Project> CreateProjectAsync(ContextTestSettings settings, Func<Project, Project> applyCompilationOptions, IReadOnlyList<string> sources, CancellationToken cancellationToken, IEnumerable<(string FileName, SourceText Content)>? additionalFiles = null)
    {
        var references = await TestReferences.ResolveAsync(settings.References, settings.EffectiveProfile, cancellationToken);
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Create(),
            "TestProject",
            "TestProject",
            LanguageNames.CSharp,
            filePath: "/0/TestProject.csproj",
            compilationOptions: settings.CompilationOptions(),
            parseOptions: settings.ParseOptions(),
            metadataReferences: references));
        for (var i = 0; i < sources.Count; i++)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), "Test" + i + ".cs", SourceText.From(sources[i], Encoding.UTF8), filePath: "/0/Test" + i + ".cs");
        }

        foreach (var (fileName, content) in additionalFiles ?? Enumerable.Empty<(string, SourceText)>())
        {
            solution = solution.AddAdditionalDocument(DocumentId.CreateNewId(projectId), fileName, content, filePath: "/0/" + fileName);
        }

        if (settings.EditorConfigText() is { } editorConfig)
        {
            solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".editorconfig", SourceText.From(editorConfig), filePath: ContextTestSettings.EditorConfigPath);
        }

        if (settings.GlobalConfigText() is { } globalConfig)
        {
            solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".globalconfig", SourceText.From(globalConfig), filePath: "/.globalconfig");
        }

        return applyCompilationOptions(solution.GetProject(projectId)!);
    }

    /// <summary>Compiler errors, compiler warnings, and every analyzer diagnostic. An analyzer exception throws.</summary>
    public static async Task<ImmutableArray<Diagnostic>> GetAllDiagnosticsAsync(ImmutableArray<DiagnosticAnalyzer> analyzers, Project project, CancellationToken cancellationToken)
    {
        var compilation = (await project.GetCompilationAsync(cancellationToken))!;
        var analyzerDiagnostics = await AnalyzerRunner.RunAsync(project, compilation, analyzers, cancellationToken);
        return compilation.GetDiagnostics(cancellationToken)
            .Where(d => d.Severity == DiagnosticSeverity.Error || d.Id.StartsWith("CS", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Warning)
            .Concat(analyzerDiagnostics)
            .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToImmutableArray();
    }

    /// <summary>Keys are namespaced constants (<c>CTX101.Name</c>) so Fix All and the tests can pick them.</summary>
    internal static ImmutableArray<CodeAction> CheckActions(ImmutableArray<CodeAction> actions, string? equivalenceKey, int? index)
    {
        foreach (var a in actions)
        {
            if (a.EquivalenceKey is null || !KeyPattern.IsMatch(a.EquivalenceKey))
            {
                throw new InvalidOperationException($"Code action '{a.Title}' has equivalence key '{a.EquivalenceKey}'; keys are namespaced 'CTXnnn.Name' constants so Fix All and the tests can pick them.");
            }
        }

        if (equivalenceKey is null && index is null && actions.Select(a => a.EquivalenceKey).Distinct().Count() > 1)
        {
            throw new InvalidOperationException($"{actions.Length} actions are offered; set CodeActionEquivalenceKey to one of: {string.Join(", ", actions.Select(x => $"'{x.EquivalenceKey}' ({x.Title})"))}");
        }

        return actions;
    }

    private static readonly Regex KeyPattern = new(@"^[A-Z]{2,}\d{3}\.\w+$", RegexOptions.CultureInvariant);
}

/// <summary>Runs analyzers on Roslyn's <see cref="CompilationWithAnalyzers"/>; any analyzer exception fails with its stack trace.</summary>
public static class AnalyzerRunner
{
    public static async Task<ImmutableArray<Diagnostic>> RunAsync(Project project, Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellationToken)
    {
        var exceptions = new List<string>();
        var options = new CompilationWithAnalyzersOptions(
            project.AnalyzerOptions,
            onAnalyzerException: (ex, analyzer, diagnostic) =>
            {
                lock (exceptions)
                {
                    exceptions.Add($"{analyzer.GetType().Name} threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
                }
            },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken);
        var crashes = diagnostics.Where(d => d.Id is "AD0001" or "AD0002").Select(d => d.ToString()).ToList();
        if (exceptions.Count > 0 || crashes.Count > 0)
        {
            throw new AnalyzerCrashException("An analyzer threw (AD0001 in a real build):\n" + string.Join("\n\n", exceptions.Concat(crashes)));
        }

        return diagnostics;
    }
}

public sealed class AnalyzerCrashException : Exception
{
    public AnalyzerCrashException(string message)
        : base(message)
    {
    }
}

/// <summary>An analyzer test: <see cref="CSharpAnalyzerTest{TAnalyzer, TVerifier}"/> with this project's references and checks.</summary>
public class ContextAnalyzerTest<TAnalyzer> : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>, IContextTest
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    private bool applied;

    public ContextTestSettings Settings { get; } = new();

    public ImmutableArray<DiagnosticAnalyzer> Analyzers => GetDiagnosticAnalyzers().ToImmutableArray();

    public CodeFixProvider? CodeFix => null;

    /// <summary>Source files with markup; the first is /0/Test0.cs.</summary>
    public SourceFileList Sources => TestState.Sources;

    /// <summary>AdditionalFiles items of the project: <c>Add((fileName, content))</c>.</summary>
    public SourceFileCollection AdditionalFiles => TestState.AdditionalFiles;

    /// <summary>The rule of '[|...|]' markup: the analyzers' only diagnostic ID (a rule may have more than one message).</summary>
    protected override DiagnosticDescriptor? GetDefaultDiagnostic(DiagnosticAnalyzer[] analyzers) => ContextTestChecks.SingleRule(analyzers);


    public ReferenceSet References { get => Settings.References; set => Settings.References = value; }

    public ReferenceProfile? Profile { get => Settings.Profile; set => Settings.Profile = value; }

    public string? EditorConfig { get => Settings.EditorConfig; set => Settings.EditorConfig = value; }

    public string? GlobalConfig { get => Settings.GlobalConfig; set => Settings.GlobalConfig = value; }

    public OutputKind OutputKind { get => Settings.OutputKind; set => Settings.OutputKind = value; }

    public LanguageVersion LanguageVersion { get => Settings.LanguageVersion; set => Settings.LanguageVersion = value; }

    public Task<Project> CreateProjectAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
        => ContextTestChecks.CreateProjectAsync(Settings, ApplyCompilationOptions, sources, cancellationToken, TestState.AdditionalFiles);

    public Project CreateProject(IReadOnlyList<string> sources) => Task.Run(() => CreateProjectAsync(sources)).GetAwaiter().GetResult();

    public Task<ImmutableArray<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
        => ContextTestChecks.GetAllDiagnosticsAsync(Analyzers, project, cancellationToken);

    protected override CompilationOptions CreateCompilationOptions() => Settings.CompilationOptions();

    protected override ParseOptions CreateParseOptions() => Settings.ParseOptions();

    protected override Project ApplyCompilationOptions(Project project) => ContextTestSettings.KeepEditorConfigSeverities(base.ApplyCompilationOptions(project));

    protected override async Task RunImplAsync(CancellationToken cancellationToken)
    {
        if (!applied)
        {
            applied = true;
            Settings.Apply(TestState, SolutionTransforms, r => ReferenceAssemblies = r);
            MarkupOptions |= MarkupOptions.TreatPositionIndicatorsAsCode;
            var analyzers = GetDiagnosticAnalyzers().ToArray();
            MarkupExpectations.Convert(TestState, GetDefaultDiagnostic(analyzers), analyzers.SelectMany(a => a.SupportedDiagnostics).ToImmutableArray());
        }

        await base.RunImplAsync(cancellationToken);
        if (!TestBehaviors.HasFlag(TestBehaviors.SkipGeneratedCodeCheck))
        {
            await ContextTestChecks.AssertSilentInGeneratedCodeAsync(this, TestState.Sources.Select(s => s.content.ToString()), TestState.ExpectedDiagnostics, cancellationToken);
        }
    }
}

/// <summary>A code-fix test: <see cref="CSharpCodeFixTest{TAnalyzer, TCodeFix, TVerifier}"/> with this project's references and checks.</summary>
public class ContextCodeFixTest<TAnalyzer, TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>, IContextTest
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    private bool applied;

    public ContextTestSettings Settings { get; } = new();

    public virtual ImmutableArray<DiagnosticAnalyzer> Analyzers => GetDiagnosticAnalyzers().ToImmutableArray();

    public virtual CodeFixProvider? CodeFix => GetCodeFixProviders().FirstOrDefault();

    /// <summary>Source files with markup; the first is /0/Test0.cs.</summary>
    public SourceFileList Sources => TestState.Sources;

    /// <summary>AdditionalFiles items of the project: <c>Add((fileName, content))</c>.</summary>
    public SourceFileCollection AdditionalFiles => TestState.AdditionalFiles;

    /// <summary>The rule of '[|...|]' markup: the analyzers' only diagnostic ID (a rule may have more than one message).</summary>
    protected override DiagnosticDescriptor? GetDefaultDiagnostic(DiagnosticAnalyzer[] analyzers) => ContextTestChecks.SingleRule(analyzers);


    /// <summary>Expected sources after the fix (markup marks the diagnostics that remain).</summary>
    public SourceFileList FixedSources => FixedState.Sources;

    public ReferenceSet References { get => Settings.References; set => Settings.References = value; }

    public ReferenceProfile? Profile { get => Settings.Profile; set => Settings.Profile = value; }

    public string? EditorConfig { get => Settings.EditorConfig; set => Settings.EditorConfig = value; }

    public string? GlobalConfig { get => Settings.GlobalConfig; set => Settings.GlobalConfig = value; }

    public OutputKind OutputKind { get => Settings.OutputKind; set => Settings.OutputKind = value; }

    public LanguageVersion LanguageVersion { get => Settings.LanguageVersion; set => Settings.LanguageVersion = value; }

    /// <summary>
    /// Checks that no action with this key is offered for any diagnostic of the test code: the fixed state is the test
    /// state, so the framework fails if such an action is offered and changes anything.
    /// </summary>
    public string? NoFixOfferedKey { get; set; }

    public Task<Project> CreateProjectAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
        => ContextTestChecks.CreateProjectAsync(Settings, ApplyCompilationOptions, sources, cancellationToken, TestState.AdditionalFiles);

    public Project CreateProject(IReadOnlyList<string> sources) => Task.Run(() => CreateProjectAsync(sources)).GetAwaiter().GetResult();

    public Task<ImmutableArray<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
        => ContextTestChecks.GetAllDiagnosticsAsync(Analyzers, project, cancellationToken);

    protected override CompilationOptions CreateCompilationOptions() => Settings.CompilationOptions();

    protected override ParseOptions CreateParseOptions() => Settings.ParseOptions();

    protected override Project ApplyCompilationOptions(Project project) => ContextTestSettings.KeepEditorConfigSeverities(base.ApplyCompilationOptions(project));

    protected override ImmutableArray<CodeAction> FilterCodeActions(ImmutableArray<CodeAction> actions)
        => ContextTestChecks.CheckActions(base.FilterCodeActions(actions), CodeActionEquivalenceKey, CodeActionIndex);

    protected override async Task RunImplAsync(CancellationToken cancellationToken)
    {
        if (!applied)
        {
            applied = true;
            Settings.Apply(TestState, SolutionTransforms, r => ReferenceAssemblies = r);
            MarkupOptions |= MarkupOptions.TreatPositionIndicatorsAsCode;
            var analyzers = GetDiagnosticAnalyzers().ToArray();
            var supported = analyzers.SelectMany(a => a.SupportedDiagnostics).ToImmutableArray();
            var defaultDiagnostic = GetDefaultDiagnostic(analyzers);
            MarkupExpectations.Convert(TestState, defaultDiagnostic, supported);
            MarkupExpectations.Convert(FixedState, defaultDiagnostic, supported);
            MarkupExpectations.Convert(BatchFixedState, defaultDiagnostic, supported);

            // A compilation-end diagnostic (CTX404: the whole compilation decides) is non-local; the IDE offers its
            // fixes from the error list, so the framework's "no fix for a non-local diagnostic" check does not apply.
            if (supported.Any(d => d.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd)))
            {
                CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipLocalDiagnosticCheck;
            }

            if (NoFixOfferedKey is not null)
            {
                PrepareNoFixOffered(NoFixOfferedKey);
            }

        }

        await base.RunImplAsync(cancellationToken);
        if (!TestBehaviors.HasFlag(TestBehaviors.SkipGeneratedCodeCheck))
        {
            await ContextTestChecks.AssertSilentInGeneratedCodeAsync(this, TestState.Sources.Select(s => s.content.ToString()), TestState.ExpectedDiagnostics, cancellationToken);
        }
    }

    private void PrepareNoFixOffered(string key)
    {
        if (FixedState.Sources.Count > 0)
        {
            throw new InvalidOperationException("NoFixOfferedKey and FixedCode exclude each other.");
        }

        var fixable = CodeFix?.FixableDiagnosticIds ?? throw new InvalidOperationException("NoFixOfferedKey needs a code fix provider.");
        var ids = Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().ToList();
        var anyFixable = TestState.ExpectedDiagnostics.Any(d => fixable.Contains(d.Id))
            || TestState.Sources.SelectMany(s => Markup.Parse(s.content.ToString()).Spans)
                .Any(s => s.Id is { } id ? fixable.Contains(id) : s.Key is null && ids.Count == 1 && fixable.Contains(ids[0]));
        if (!anyFixable)
        {
            throw new InvalidOperationException("NoFixOfferedKey: the test code expects no diagnostic the fixer could fix, so the assertion would prove nothing.");
        }

        CodeActionEquivalenceKey = key;
        foreach (var source in TestState.Sources)
        {
            FixedState.Sources.Add(source);
        }

        FixedState.ExpectedDiagnostics.AddRange(TestState.ExpectedDiagnostics);
    }
}

/// <summary>A test of an explicit set of analyzers (and at most one fixer), for cross-rule and whole-package tests.</summary>
public sealed class AnalyzerTest : ContextCodeFixTest<EmptyDiagnosticAnalyzer, EmptyCodeFixProvider>
{
    private readonly ImmutableArray<DiagnosticAnalyzer> analyzers;
    private readonly CodeFixProvider? codeFix;

    public AnalyzerTest(ImmutableArray<DiagnosticAnalyzer> analyzers, CodeFixProvider? codeFix = null)
    {
        this.analyzers = analyzers;
        this.codeFix = codeFix;
    }

    public override ImmutableArray<DiagnosticAnalyzer> Analyzers => analyzers;

    public override CodeFixProvider? CodeFix => codeFix;

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => analyzers;

    protected override IEnumerable<CodeFixProvider> GetCodeFixProviders() => codeFix is null ? Array.Empty<CodeFixProvider>() : new[] { codeFix };

    /// <summary>Runs the analyzers on Roslyn's own primitives (kept for call sites of the former verifier).</summary>
    public static Task<ImmutableArray<Diagnostic>> RunAnalyzersAsync(Project project, Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellationToken)
        => AnalyzerRunner.RunAsync(project, compilation, analyzers, cancellationToken);
}
