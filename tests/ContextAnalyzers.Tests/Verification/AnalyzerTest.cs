using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>
/// The in-repo equivalent of Microsoft.CodeAnalysis.Testing's CSharpCodeFixTest: markup in, exact comparison out,
/// any analyzer exception fails, fixes applied through the real Workspaces pipeline and the result compiled.
/// </summary>
public sealed class AnalyzerTest
{
    private const string ProjectDir = "/0/";

    public AnalyzerTest(ImmutableArray<DiagnosticAnalyzer> analyzers, CodeFixProvider? codeFix = null)
    {
        Analyzers = analyzers;
        CodeFix = codeFix;
    }

    public ImmutableArray<DiagnosticAnalyzer> Analyzers { get; }

    public CodeFixProvider? CodeFix { get; }

    /// <summary>Source files with markup; the first is Test0.cs.</summary>
    public List<string> Sources { get; } = new();

    public string TestCode { set => Sources.Add(value); }

    /// <summary>Expected sources after the fix (markup marks diagnostics that must remain). Null: no fix is tested.</summary>
    public List<string> FixedSources { get; } = new();

    public string FixedCode { set => FixedSources.Add(value); }

    /// <summary>Expected after Fix All; defaults to <see cref="FixedSources"/>.</summary>
    public List<string> BatchFixedSources { get; } = new();

    public string BatchFixedCode { set => BatchFixedSources.Add(value); }

    /// <summary>An .editorconfig for the project folder (the header <c>root = true</c> and <c>[*.cs]</c> are added when absent).</summary>
    public string? EditorConfig { get; set; }

    /// <summary>A top-level .globalconfig (global analyzer config).</summary>
    public string? GlobalConfig { get; set; }

    /// <summary>AdditionalFiles items of the project: (file name, content), placed in the project folder.</summary>
    public List<(string Name, string Content)> AdditionalFiles { get; } = new();

    public ReferenceSet References { get; set; } = ReferenceSet.All;

    public OutputKind OutputKind { get; set; } = OutputKind.DynamicallyLinkedLibrary;

    public LanguageVersion LanguageVersion { get; set; } = LanguageVersion.Latest;

    public List<DiagnosticResult> ExpectedDiagnostics { get; } = new();

    /// <summary>The fix to apply; required when more than one action is offered.</summary>
    public string? CodeActionEquivalenceKey { get; set; }

    /// <summary>Fix All is tested at document and project scope unless this is set.</summary>
    public bool SkipFixAll { get; set; }

    /// <summary>Skip the auto-generated and <c>#pragma</c> passes (for tests of the passes themselves).</summary>
    public bool SkipSuppressionPasses { get; set; }

    /// <summary>Check that no action with this key is offered for any fixable diagnostic.</summary>
    public string? NoFixOfferedKey { get; set; }

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Sources.Count == 0)
        {
            throw new InvalidOperationException("A test needs at least one source.");
        }

        var (texts, expected) = ParseSources(Sources, ExpectedDiagnostics);
        var project = CreateProject(texts);
        var actual = await GetAllDiagnosticsAsync(project, cancellationToken);
        AssertCompilerErrorsDeclared(project, actual, expected);
        AssertDiagnostics(project, expected, actual, "the test code");

        if (!SkipSuppressionPasses && actual.Any(d => IsAnalyzerDiagnostic(d)))
        {
            await AssertSuppressionPassesAsync(texts, cancellationToken);
        }

        if (NoFixOfferedKey is not null)
        {
            await AssertNoFixOfferedAsync(project, actual, NoFixOfferedKey, cancellationToken);
        }

        if (FixedSources.Count > 0)
        {
            if (CodeFix is null)
            {
                throw new InvalidOperationException("FixedCode was set but the verifier has no code fix provider.");
            }

            await VerifyFixAsync(project, FixedSources, FixMode.OneByOne, cancellationToken);
            if (!SkipFixAll)
            {
                var batch = BatchFixedSources.Count > 0 ? BatchFixedSources : FixedSources;
                await VerifyFixAsync(project, batch, FixMode.FixAllInDocument, cancellationToken);
                await VerifyFixAsync(project, batch, FixMode.FixAllInProject, cancellationToken);
            }
        }
    }

    // ---------------------------------------------------------------- project and diagnostics

    private (List<string> Texts, List<DiagnosticResult> Expected) ParseSources(List<string> sources, List<DiagnosticResult> explicitExpectations)
    {
        var texts = new List<string>();
        var expected = new List<DiagnosticResult>();
        var located = new Dictionary<int, (string Path, TextSpan Span)>();
        for (var i = 0; i < sources.Count; i++)
        {
            var (text, spans) = Markup.Parse(sources[i]);
            texts.Add(text);
            var path = FilePath(i);
            foreach (var s in spans)
            {
                if (s.Key is int key)
                {
                    located[key] = (path, s.Span);
                    continue;
                }

                var id = s.Id ?? SingleRuleId();
                expected.Add(new DiagnosticResult(id).WithSpan(path, s.Span));
            }
        }

        foreach (var e in explicitExpectations)
        {
            if (e.MarkupKey is int key)
            {
                if (!located.Remove(key, out var loc))
                {
                    throw new InvalidOperationException($"Expectation {e.Id} refers to markup location #{key}, which the source does not define.");
                }

                var additional = new List<TextSpan>();
                foreach (var extra in e.AdditionalMarkupKeys)
                {
                    if (!located.Remove(extra, out var extraLocation))
                    {
                        throw new InvalidOperationException($"Expectation {e.Id} refers to markup location #{extra}, which the source does not define.");
                    }

                    additional.Add(extraLocation.Span);
                }

                expected.Add(e with { Path = loc.Path, Span = loc.Span, MarkupKey = null, AdditionalMarkupKeys = Array.Empty<int>(), AdditionalSpans = additional });
            }
            else
            {
                expected.Add(e);
            }
        }

        if (located.Count > 0)
        {
            throw new InvalidOperationException($"Markup location(s) {string.Join(", ", located.Keys.Select(k => "#" + k))} are not used by any expected diagnostic.");
        }

        return (texts, expected);
    }

    private string SingleRuleId()
    {
        var ids = Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().ToList();
        if (ids.Count != 1)
        {
            throw new InvalidOperationException($"'[|...|]' markup needs an analyzer with exactly one rule; these analyzers have {string.Join(", ", ids)}. Use '{{|ID:...|}}'.");
        }

        return ids[0];
    }

    private static string FilePath(int index) => ProjectDir + "Test" + index + ".cs";

    internal Project CreateProject(IReadOnlyList<string> texts)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var parseOptions = new CSharpParseOptions(LanguageVersion, DocumentationMode.Diagnose);
        var compilationOptions = new CSharpCompilationOptions(
            OutputKind,
            nullableContextOptions: NullableContextOptions.Enable,
            allowUnsafe: true,
            specificDiagnosticOptions: EnableAllRules());
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Create(),
            "TestProject",
            "TestProject",
            LanguageNames.CSharp,
            filePath: ProjectDir + "TestProject.csproj",
            compilationOptions: compilationOptions,
            parseOptions: parseOptions,
            metadataReferences: TestReferences.Get(References)));

        for (var i = 0; i < texts.Count; i++)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), "Test" + i + ".cs", SourceText.From(texts[i], Encoding.UTF8), filePath: FilePath(i));
        }

        if (EditorConfig is not null)
        {
            var content = EditorConfig;
            if (!content.Contains("root", StringComparison.Ordinal))
            {
                content = "root = true\n" + (content.Contains('[') ? string.Empty : "\n[*.cs]\n") + content;
            }

            solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".editorconfig", SourceText.From(content), filePath: ProjectDir + ".editorconfig");
        }

        foreach (var (name, content) in AdditionalFiles)
        {
            solution = solution.AddAdditionalDocument(DocumentId.CreateNewId(projectId), name, SourceText.From(content), filePath: ProjectDir + name);
        }

        if (GlobalConfig is not null)
        {
            var content = GlobalConfig.Contains("is_global", StringComparison.Ordinal) ? GlobalConfig : "is_global = true\n" + GlobalConfig;
            solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".globalconfig", SourceText.From(content), filePath: ProjectDir + ".globalconfig");
        }

        if (!workspace.TryApplyChanges(solution))
        {
            throw new InvalidOperationException("Could not create the test workspace.");
        }

        return workspace.CurrentSolution.GetProject(projectId)!;
    }

    /// <summary>Rules that are off by default are turned on at their default severity, so every rule runs.</summary>
    private ImmutableDictionary<string, ReportDiagnostic> EnableAllRules()
    {
        var b = ImmutableDictionary.CreateBuilder<string, ReportDiagnostic>();
        foreach (var d in Analyzers.SelectMany(a => a.SupportedDiagnostics))
        {
            if (!d.IsEnabledByDefault)
            {
                b[d.Id] = d.DefaultSeverity switch
                {
                    DiagnosticSeverity.Error => ReportDiagnostic.Error,
                    DiagnosticSeverity.Warning => ReportDiagnostic.Warn,
                    DiagnosticSeverity.Info => ReportDiagnostic.Info,
                    _ => ReportDiagnostic.Hidden,
                };
            }
        }

        return b.ToImmutable();
    }

    /// <summary>Compiler errors, the compiler diagnostics the test names, and every analyzer diagnostic. Analyzer exceptions throw.</summary>
    internal async Task<ImmutableArray<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
    {
        var compilation = (await project.GetCompilationAsync(cancellationToken))!;
        var analyzerDiagnostics = await RunAnalyzersAsync(project, compilation, Analyzers, cancellationToken);
        return compilation.GetDiagnostics(cancellationToken)
            .Where(d => d.Severity == DiagnosticSeverity.Error || d.Id.StartsWith("CS", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Warning)
            .Concat(analyzerDiagnostics)
            .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToImmutableArray();
    }

    /// <summary>Runs the analyzers; any exception an analyzer throws fails the test with its stack trace.</summary>
    public static async Task<ImmutableArray<Diagnostic>> RunAnalyzersAsync(Project project, Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellationToken)
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
        var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(cancellationToken);
        var crashes = diagnostics.Where(d => d.Id is "AD0001" or "AD0002").Select(d => d.ToString()).ToList();
        if (exceptions.Count > 0 || crashes.Count > 0)
        {
            throw new AnalyzerCrashException("An analyzer threw (AD0001 in a real build):\n" + string.Join("\n\n", exceptions.Concat(crashes)));
        }

        return diagnostics;
    }

    private bool IsAnalyzerDiagnostic(Diagnostic d) => SupportedIds.Contains(d.Id);

    private HashSet<string> SupportedIds => supportedIds ??= Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);

    private HashSet<string>? supportedIds;

    private void AssertCompilerErrorsDeclared(Project project, ImmutableArray<Diagnostic> actual, List<DiagnosticResult> expected)
    {
        var declared = expected.Select(e => e.Id).Where(id => id.StartsWith("CS", StringComparison.Ordinal)).ToHashSet();
        var undeclared = actual.Where(d => d.Id.StartsWith("CS", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error && !declared.Contains(d.Id)).ToList();
        if (undeclared.Count > 0)
        {
            throw new VerificationException(
                "The test code does not compile (declare expected compiler errors with {|CS....:...|} markup):\n" +
                string.Join("\n", undeclared.Select(d => "  " + d)) + "\n\n" + Annotate(project, undeclared));
        }
    }

    private void AssertDiagnostics(Project project, List<DiagnosticResult> expected, ImmutableArray<Diagnostic> actualAll, string what)
    {
        var compilerIdsExpected = expected.Select(e => e.Id).Where(id => id.StartsWith("CS", StringComparison.Ordinal)).ToHashSet();
        var actual = actualAll.Where(d => IsAnalyzerDiagnostic(d) || compilerIdsExpected.Contains(d.Id) || d.Id == DiagnosticIds.InvalidAnalyzerOption).ToList();
        var unmatchedActual = new List<Diagnostic>(actual);
        var unmatchedExpected = new List<DiagnosticResult>();
        foreach (var e in expected)
        {
            var match = unmatchedActual.FirstOrDefault(a => Matches(e, a));
            if (match is null)
            {
                unmatchedExpected.Add(e);
            }
            else
            {
                unmatchedActual.Remove(match);
            }
        }

        if (unmatchedExpected.Count == 0 && unmatchedActual.Count == 0)
        {
            return;
        }

        var sb = new StringBuilder();
        sb.AppendLine($"Diagnostics of {what} do not match.");
        sb.AppendLine($"Expected ({expected.Count}):");
        foreach (var e in expected)
        {
            sb.AppendLine("  " + Describe(project, e) + (unmatchedExpected.Contains(e) ? "   <-- missing" : string.Empty));
        }

        sb.AppendLine($"Actual ({actual.Count}):");
        foreach (var a in actual)
        {
            sb.AppendLine("  " + Describe(a) + (unmatchedActual.Contains(a) ? "   <-- unexpected" : string.Empty));
        }

        sb.AppendLine();
        sb.AppendLine("Actual as markup (paste-ready):");
        sb.AppendLine(ToMarkup(project, actual));
        sb.AppendLine("Source annotated with the actual diagnostics:");
        sb.AppendLine(Annotate(project, actual));
        throw new VerificationException(sb.ToString());
    }

    private static bool Matches(DiagnosticResult e, Diagnostic a)
    {
        if (e.Id != a.Id)
        {
            return false;
        }

        if (e.NoLocation)
        {
            if (a.Location.IsInSource)
            {
                return false;
            }
        }
        else if (e.Span is TextSpan span)
        {
            if (!a.Location.IsInSource || a.Location.SourceTree!.FilePath != e.Path || a.Location.SourceSpan != span)
            {
                return false;
            }
        }

        if (e.AdditionalSpans.Count > 0 && !a.AdditionalLocations.Select(l => l.SourceSpan).SequenceEqual(e.AdditionalSpans))
        {
            return false;
        }

        if (e.Severity is DiagnosticSeverity sev && a.Severity != sev)
        {
            return false;
        }

        if (e.Message is not null && a.GetMessage() != e.Message)
        {
            return false;
        }

        if (e.Arguments is not null)
        {
            var actualArgs = MessageArguments(a);
            if (actualArgs.Count != e.Arguments.Count)
            {
                return false;
            }

            for (var i = 0; i < actualArgs.Count; i++)
            {
                if (!string.Equals(actualArgs[i]?.ToString(), e.Arguments[i]?.ToString(), StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static IReadOnlyList<object?> MessageArguments(Diagnostic d)
    {
        // Diagnostic.Arguments is internal; the SimpleDiagnostic type exposes them through reflection.
        var prop = d.GetType().GetProperty("Arguments", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public);
        return prop?.GetValue(d) is IReadOnlyList<object?> args ? args : Array.Empty<object?>();
    }

    private static string Describe(Project project, DiagnosticResult e)
    {
        var where = e.NoLocation ? "(no location)" : e.Span is TextSpan s ? Position(project, e.Path!, s) : "(any location)";
        var args = e.Arguments is null ? string.Empty : " args(" + string.Join(", ", e.Arguments.Select(a => "\"" + a + "\"")) + ")";
        var text = e.Span is TextSpan span2 ? " " + Quote(project, e.Path!, span2) : string.Empty;
        return $"{e.Id} {where}{text}{args}";
    }

    private static string Describe(Diagnostic a)
    {
        var loc = a.Location.IsInSource ? Position(a.Location) : "(no location)";
        var args = MessageArguments(a);
        var argText = args.Count == 0 ? string.Empty : " args(" + string.Join(", ", args.Select(x => "\"" + x + "\"")) + ")";
        var text = a.Location.IsInSource ? " " + Shorten(a.Location.SourceTree!.GetText().ToString(a.Location.SourceSpan)) : string.Empty;
        return $"{a.Id} {loc}{text}{argText} \"{a.GetMessage()}\" [{a.Severity}]";
    }

    private static string Position(Location l)
    {
        var s = l.GetLineSpan();
        return $"{Path.GetFileName(s.Path)}({s.StartLinePosition.Line + 1},{s.StartLinePosition.Character + 1})-({s.EndLinePosition.Line + 1},{s.EndLinePosition.Character + 1})";
    }

    private static string Position(Project project, string path, TextSpan span)
    {
        var doc = project.Documents.First(d => d.FilePath == path);
        var text = doc.GetTextAsync().Result;
        var ls = text.Lines.GetLinePositionSpan(span);
        return $"{Path.GetFileName(path)}({ls.Start.Line + 1},{ls.Start.Character + 1})-({ls.End.Line + 1},{ls.End.Character + 1})";
    }

    private static string Quote(Project project, string path, TextSpan span)
    {
        var doc = project.Documents.First(d => d.FilePath == path);
        return Shorten(doc.GetTextAsync().Result.ToString(span));
    }

    private static string Shorten(string s)
    {
        s = Regex.Replace(s, @"\s+", " ");
        return "`" + (s.Length > 60 ? s[..57] + "..." : s) + "`";
    }

    /// <summary>The project's sources with the actual diagnostics as <c>{|ID:...|}</c> markup.</summary>
    internal static string ToMarkup(Project project, IEnumerable<Diagnostic> diagnostics)
    {
        var sb = new StringBuilder();
        var byFile = diagnostics.Where(d => d.Location.IsInSource).GroupBy(d => d.Location.SourceTree!.FilePath).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var doc in project.Documents.OrderBy(d => d.FilePath, StringComparer.Ordinal))
        {
            var text = doc.GetTextAsync().Result.ToString();
            var inserts = new List<(int Pos, int Order, string Text)>();
            if (byFile.TryGetValue(doc.FilePath!, out var list))
            {
                foreach (var d in list)
                {
                    inserts.Add((d.Location.SourceSpan.Start, -d.Location.SourceSpan.End, "{|" + d.Id + ":"));
                    inserts.Add((d.Location.SourceSpan.End, int.MaxValue - d.Location.SourceSpan.Start, "|}"));
                }
            }

            foreach (var ins in inserts.OrderByDescending(i => i.Pos).ThenByDescending(i => i.Order))
            {
                text = text.Insert(ins.Pos, ins.Text);
            }

            if (project.Documents.Count() > 1)
            {
                sb.AppendLine("// " + doc.Name);
            }

            sb.AppendLine(text);
        }

        return sb.ToString();
    }

    /// <summary>Each line that carries a diagnostic, with a caret line and the diagnostic under it.</summary>
    internal static string Annotate(Project project, IEnumerable<Diagnostic> diagnostics)
    {
        var sb = new StringBuilder();
        foreach (var g in diagnostics.Where(d => d.Location.IsInSource).GroupBy(d => d.Location.SourceTree!))
        {
            var text = g.Key.GetText();
            sb.AppendLine("// " + Path.GetFileName(g.Key.FilePath));
            foreach (var lineGroup in g.GroupBy(d => d.Location.GetLineSpan().StartLinePosition.Line).OrderBy(x => x.Key))
            {
                var line = text.Lines[lineGroup.Key];
                sb.AppendLine($"{lineGroup.Key + 1,4} | {line}");
                foreach (var d in lineGroup)
                {
                    var span = d.Location.GetLineSpan();
                    var start = span.StartLinePosition.Character;
                    var end = span.EndLinePosition.Line == span.StartLinePosition.Line ? span.EndLinePosition.Character : line.Span.Length;
                    sb.AppendLine($"     | {new string(' ', start)}{new string('^', Math.Max(1, end - start))} {d.Id}: {d.GetMessage()}");
                }
            }
        }

        return sb.Length == 0 ? "(no diagnostics)" : sb.ToString();
    }

    // ---------------------------------------------------------------- suppression passes

    private async Task AssertSuppressionPassesAsync(List<string> texts, CancellationToken cancellationToken)
    {
        var generated = texts.Select(t => "// <auto-generated/>\n" + t).ToList();
        var project = CreateProject(generated);
        var diagnostics = (await GetAllDiagnosticsAsync(project, cancellationToken)).Where(IsAnalyzerDiagnostic).ToList();
        if (diagnostics.Count > 0)
        {
            throw new VerificationException("With '// <auto-generated/>' on top, nothing must be reported, but the analyzers reported:\n" + Annotate(project, diagnostics));
        }

        var ids = string.Join(", ", Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct());
        var pragma = texts.Select(t => "#pragma warning disable " + ids + "\n" + t).ToList();
        project = CreateProject(pragma);
        diagnostics = (await GetAllDiagnosticsAsync(project, cancellationToken)).Where(IsAnalyzerDiagnostic).ToList();
        if (diagnostics.Count > 0)
        {
            throw new VerificationException($"With '#pragma warning disable {ids}' on top, nothing must be reported, but the analyzers reported:\n" + Annotate(project, diagnostics));
        }
    }

    // ---------------------------------------------------------------- code fixes

    private enum FixMode
    {
        OneByOne,
        FixAllInDocument,
        FixAllInProject,
    }

    private async Task VerifyFixAsync(Project original, List<string> fixedMarkup, FixMode mode, CancellationToken cancellationToken)
    {
        var (expectedTexts, expectedRemaining) = ParseSources(fixedMarkup, new List<DiagnosticResult>());
        var project = original;
        var maxIterations = mode == FixMode.OneByOne ? 200 : 10;
        var iterations = 0;
        for (; iterations < maxIterations; iterations++)
        {
            var diagnostics = await GetAllDiagnosticsAsync(project, cancellationToken);
            var fixable = diagnostics.Where(d => CodeFix!.FixableDiagnosticIds.Contains(d.Id) && d.Location.IsInSource).ToList();
            if (fixable.Count == 0)
            {
                break;
            }

            Project? next = null;
            foreach (var diagnostic in fixable)
            {
                var document = project.GetDocument(diagnostic.Location.SourceTree)!;
                var actions = await GetActionsAsync(document, diagnostic, cancellationToken);
                var action = SelectAction(actions, diagnostic, mustExist: false);
                if (action is null)
                {
                    continue;
                }

                if (mode == FixMode.OneByOne)
                {
                    next = await ApplyAsync(project, action, cancellationToken);
                }
                else
                {
                    var provider = CodeFix!.GetFixAllProvider() ?? throw new VerificationException($"{CodeFix.GetType().Name} has no Fix All provider.");
                    var scope = mode == FixMode.FixAllInDocument ? FixAllScope.Document : FixAllScope.Project;
                    if (!provider.GetSupportedFixAllScopes().Contains(scope))
                    {
                        throw new VerificationException($"{CodeFix.GetType().Name}'s Fix All provider does not support {scope}.");
                    }

                    var context = new FixAllContext(document, CodeFix, scope, action.EquivalenceKey, CodeFix.FixableDiagnosticIds, new DiagnosticProvider(this), cancellationToken);
                    var fixAll = await provider.GetFixAsync(context) ?? throw new VerificationException($"Fix All ({scope}) produced no action.");
                    next = await ApplyAsync(project, fixAll, cancellationToken);
                }

                break;
            }

            if (next is null)
            {
                break;
            }

            if (await SameTextAsync(project, next, cancellationToken))
            {
                throw new VerificationException($"The fix ({mode}) changed nothing.");
            }

            project = next;
        }

        if (iterations == maxIterations)
        {
            throw new VerificationException($"The fix ({mode}) did not converge in {maxIterations} iterations.");
        }

        if (iterations == 0)
        {
            throw new VerificationException($"No code fix ({mode}) was applied: no fixable diagnostic had an action" + (CodeActionEquivalenceKey is null ? "." : $" with key '{CodeActionEquivalenceKey}'."));
        }

        // Text.
        var docs = project.Documents.OrderBy(d => d.FilePath, StringComparer.Ordinal).ToList();
        for (var i = 0; i < expectedTexts.Count; i++)
        {
            var actualText = (await docs[i].GetTextAsync(cancellationToken)).ToString();
            if (Normalize(actualText) != Normalize(expectedTexts[i]))
            {
                throw new VerificationException($"The fixed code ({mode}) of {docs[i].Name} differs from the expected code.\n" + LineDiff.Render(expectedTexts[i], actualText) + "\nActual fixed code:\n" + actualText);
            }
        }

        // The fixed code compiles, and what remains is what the fixed markup declares.
        var remaining = await GetAllDiagnosticsAsync(project, cancellationToken);
        var errors = remaining.Where(d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("CS", StringComparison.Ordinal)).ToList();
        if (errors.Count > 0)
        {
            throw new VerificationException($"The fixed code ({mode}) does not compile:\n" + string.Join("\n", errors.Select(e => "  " + e)) + "\n\n" + Annotate(project, errors));
        }

        AssertDiagnostics(project, expectedRemaining, remaining, $"the fixed code ({mode})");
    }

    private static string Normalize(string s) => s.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static async Task<bool> SameTextAsync(Project a, Project b, CancellationToken ct)
    {
        foreach (var doc in a.Documents)
        {
            var other = b.GetDocument(doc.Id);
            if (other is null || (await doc.GetTextAsync(ct)).ToString() != (await other.GetTextAsync(ct)).ToString())
            {
                return false;
            }
        }

        return true;
    }

    private async Task<List<CodeAction>> GetActionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), cancellationToken);
        await CodeFix!.RegisterCodeFixesAsync(context);
        var flat = new List<CodeAction>();
        foreach (var a in actions)
        {
            if (a.NestedActions.Length > 0)
            {
                flat.AddRange(a.NestedActions);
            }
            else
            {
                flat.Add(a);
            }
        }

        foreach (var a in flat)
        {
            if (a.EquivalenceKey is null || !a.EquivalenceKey.StartsWith(diagnostic.Id + ".", StringComparison.Ordinal))
            {
                throw new VerificationException($"Code action '{a.Title}' for {diagnostic.Id} has equivalence key '{a.EquivalenceKey}'; keys are namespaced '{diagnostic.Id}.Name' constants so Fix All and the tests can pick them.");
            }
        }

        return flat;
    }

    private CodeAction? SelectAction(List<CodeAction> actions, Diagnostic diagnostic, bool mustExist)
    {
        if (CodeActionEquivalenceKey is not null)
        {
            var a = actions.FirstOrDefault(x => x.EquivalenceKey == CodeActionEquivalenceKey);
            if (a is null && mustExist)
            {
                throw new VerificationException($"No action with key '{CodeActionEquivalenceKey}' for {diagnostic}. Offered: {string.Join(", ", actions.Select(x => $"'{x.EquivalenceKey}' ({x.Title})"))}");
            }

            return a;
        }

        if (actions.Count > 1)
        {
            throw new VerificationException($"{actions.Count} actions are offered for {diagnostic.Id}; set CodeActionEquivalenceKey to one of: {string.Join(", ", actions.Select(x => $"'{x.EquivalenceKey}' ({x.Title})"))}");
        }

        return actions.FirstOrDefault();
    }

    private async Task AssertNoFixOfferedAsync(Project project, ImmutableArray<Diagnostic> diagnostics, string key, CancellationToken cancellationToken)
    {
        if (CodeFix is null)
        {
            throw new InvalidOperationException("NoFixOfferedKey needs a code fix provider.");
        }

        var fixable = diagnostics.Where(d => CodeFix.FixableDiagnosticIds.Contains(d.Id) && d.Location.IsInSource).ToList();
        if (fixable.Count == 0)
        {
            throw new VerificationException("NoFixOfferedKey: the test code has no diagnostic the fixer could fix, so the assertion would prove nothing.");
        }

        foreach (var d in fixable)
        {
            var actions = await GetActionsAsync(project.GetDocument(d.Location.SourceTree)!, d, cancellationToken);
            var offered = actions.FirstOrDefault(a => a.EquivalenceKey == key);
            if (offered is not null)
            {
                throw new VerificationException($"A fix with key '{key}' ('{offered.Title}') is offered for {d}, but none must be.");
            }
        }
    }

    private static async Task<Project> ApplyAsync(Project project, CodeAction action, CancellationToken cancellationToken)
    {
        var operations = await action.GetOperationsAsync(cancellationToken);
        var apply = operations.OfType<ApplyChangesOperation>().SingleOrDefault()
            ?? throw new VerificationException($"Code action '{action.Title}' produced no ApplyChangesOperation.");
        var solution = apply.ChangedSolution;
        foreach (var change in solution.GetChanges(project.Solution).GetProjectChanges())
        {
            foreach (var id in change.GetChangedDocuments(onlyGetDocumentsWithTextChanges: true).Concat(change.GetAddedDocuments()))
            {
                var doc = solution.GetDocument(id)!;
                doc = await ImportAdder.AddImportsAsync(doc, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken);
                doc = await Simplifier.ReduceAsync(doc, Simplifier.Annotation, cancellationToken: cancellationToken);
                doc = await Formatter.FormatAsync(doc, Formatter.Annotation, cancellationToken: cancellationToken);
                solution = doc.Project.Solution;
            }
        }

        return solution.GetProject(project.Id)!;
    }

    private sealed class DiagnosticProvider : FixAllContext.DiagnosticProvider
    {
        private readonly AnalyzerTest test;

        public DiagnosticProvider(AnalyzerTest test) => this.test = test;

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => await test.GetAllDiagnosticsAsync(project, cancellationToken);

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return (await test.GetAllDiagnosticsAsync(document.Project, cancellationToken)).Where(d => d.Location.SourceTree == tree);
        }

        public override async Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => (await test.GetAllDiagnosticsAsync(project, cancellationToken)).Where(d => !d.Location.IsInSource);
    }
}

public sealed class VerificationException : Exception
{
    public VerificationException(string message)
        : base(message)
    {
    }
}

public sealed class AnalyzerCrashException : Exception
{
    public AnalyzerCrashException(string message)
        : base(message)
    {
    }
}
