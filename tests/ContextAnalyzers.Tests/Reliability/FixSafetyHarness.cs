using System.Collections.Immutable;
using System.Text;
using ContextAnalyzers.Corpus;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Tests.Reliability;

/// <summary>
/// Applies every code action of every fixer (and Fix All for every equivalence key) to the diagnostics found in a
/// corpus, through the same cleanup the IDE runs (imports, simplification, formatting), and checks that (1) the result
/// has no compiler error, (2) re-running the analyzers does not report the fixed diagnostic again at that place, (3) no
/// other rule reports more in the changed document than before (a fix does not trade its warning for another), and
/// (4) every comment is still there, unless the code that carried it was removed.
/// </summary>
internal sealed class FixSafetyHarness
{
    private readonly ImmutableArray<DiagnosticAnalyzer> analyzers;
    private readonly ImmutableArray<CodeFixProvider> fixers;

    public FixSafetyHarness(ImmutableArray<DiagnosticAnalyzer> analyzers, ImmutableArray<CodeFixProvider> fixers)
    {
        this.analyzers = analyzers;
        this.fixers = fixers;
    }

    /// <summary>How many diagnostics of one ID get every single action applied (all of them when null).</summary>
    public int? MaxDiagnosticsPerId { get; init; } = 2;

    /// <summary>Fix All at project scope (slow on big corpora); otherwise at document scope on one document per key.</summary>
    public bool FixAllInProject { get; init; }

    public List<string> Failures { get; } = new();

    /// <summary>IDs only a whole-compilation analysis reports (compilation-end diagnostics): re-checked on the whole compilation.</summary>
    public HashSet<string> WholeCompilationIds { get; } = new(StringComparer.Ordinal);

    public int SingleFixesApplied { get; private set; }

    public int FixAllsApplied { get; private set; }

    public int DiagnosticsSeen { get; private set; }

    public AnalyzerFailures AnalyzerFailures { get; } = new();

    public static Project CreateProject(IEnumerable<(string Path, string Text)> files, ReferenceSet references)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Create(),
            "Corpus",
            "Corpus",
            LanguageNames.CSharp,
            filePath: "/corpus/Corpus.csproj",
            compilationOptions: CorpusAnalysis.CompilationOptions,
            parseOptions: CorpusAnalysis.ParseOptions,
            metadataReferences: TestReferences.Get(references)));
        foreach (var (path, text) in files)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(path), SourceText.From(text, Encoding.UTF8), filePath: "/corpus/" + path);
        }

        if (!workspace.TryApplyChanges(solution))
        {
            throw new InvalidOperationException("Could not create the corpus workspace.");
        }

        return workspace.CurrentSolution.GetProject(projectId)!;
    }

    public async Task RunAsync(Project project, CancellationToken cancellationToken = default)
    {
        var compilation = (await project.GetCompilationAsync(cancellationToken))!;
        var baselineErrors = CorpusAnalysis.Errors(compilation);
        if (baselineErrors.Count > 0)
        {
            Failures.Add("The corpus does not compile before any fix:\n" + string.Join("\n", baselineErrors.Take(10).Select(CorpusAnalysis.Describe)));
            return;
        }

        var diagnostics = await AnalyzeProjectAsync(project, cancellationToken);
        DiagnosticsSeen = diagnostics.Length;
        var withAnalyzersBefore = CorpusAnalysis.WithAnalyzers(compilation, AnalyzerFailures, analyzers);
        foreach (var group in diagnostics.Where(d => d.Location.IsInSource).GroupBy(d => d.Location.SourceTree!))
        {
            var perTree = await CorpusAnalysis.AnalyzeTreeAsync(withAnalyzersBefore, group.Key, AnalyzerFailures, group.Key.FilePath, cancellationToken);
            foreach (var id in group.Select(d => d.Id).Distinct().Where(id => perTree.Count(d => d.Id == id) < group.Count(d => d.Id == id)))
            {
                WholeCompilationIds.Add(id);
            }
        }
        foreach (var fixer in fixers)
        {
            var fixable = diagnostics.Where(d => d.Location.IsInSource && fixer.FixableDiagnosticIds.Contains(d.Id)).ToList();
            var offeredByKey = new Dictionary<string, List<Diagnostic>>(StringComparer.Ordinal);
            foreach (var group in fixable.GroupBy(d => d.Id))
            {
                var sampled = 0;
                foreach (var diagnostic in group)
                {
                    var document = project.GetDocument(diagnostic.Location.SourceTree)!;
                    var actions = await GetActionsAsync(fixer, document, diagnostic, cancellationToken);
                    foreach (var action in actions)
                    {
                        var key = action.EquivalenceKey ?? "(no key)";
                        if (!offeredByKey.TryGetValue(key, out var list))
                        {
                            offeredByKey[key] = list = new List<Diagnostic>();
                        }

                        list.Add(diagnostic);
                    }

                    if (MaxDiagnosticsPerId is int max && sampled >= max)
                    {
                        continue;
                    }

                    sampled++;
                    foreach (var action in actions)
                    {
                        await CheckSingleFixAsync(fixer, project, document, diagnostic, diagnostics, action, cancellationToken);
                    }
                }
            }

            foreach (var (key, offered) in offeredByKey.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                await CheckFixAllAsync(fixer, project, key, offered, diagnostics, cancellationToken);
            }
        }
    }

    private async Task CheckSingleFixAsync(CodeFixProvider fixer, Project project, Document document, Diagnostic diagnostic, ImmutableArray<Diagnostic> before, CodeAction action, CancellationToken cancellationToken)
    {
        var what = $"{fixer.GetType().Name} '{action.EquivalenceKey}' on {CorpusAnalysis.Describe(diagnostic)}";
        Project fixedProject;
        try
        {
            fixedProject = await ApplyAsync(project, action, cancellationToken);
        }
        catch (Exception ex)
        {
            Failures.Add($"{what}: applying the fix threw {ex.GetType().Name}: {ex.Message}");
            return;
        }

        SingleFixesApplied++;
        var changed = ChangedDocuments(project, fixedProject).ToList();
        if (changed.Count == 0)
        {
            Failures.Add($"{what}: the fix changed nothing");
            return;
        }

        var compilation = (await fixedProject.GetCompilationAsync(cancellationToken))!;
        var errors = compilation.GetDeclarationDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        foreach (var id in changed)
        {
            var tree = (await fixedProject.GetDocument(id)!.GetSyntaxTreeAsync(cancellationToken))!;
            errors.AddRange(compilation.GetSemanticModel(tree).GetDiagnostics(cancellationToken: cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error));
        }

        var newDocument = fixedProject.GetDocument(document.Id)!;
        var oldText = (await document.GetTextAsync(cancellationToken)).ToString();
        var newText = (await newDocument.GetTextAsync(cancellationToken)).ToString();
        if (errors.Count > 0)
        {
            Failures.Add($"{what}: the fixed code does not compile:\n  " + string.Join("\n  ", errors.Distinct().Take(5).Select(CorpusAnalysis.Describe)) + "\n" + Excerpt(oldText, newText));
            return;
        }

        // Re-run the analyzers on the fixed document: the diagnostic must not come back at the place that was fixed.
        var newTree = (await newDocument.GetSyntaxTreeAsync(cancellationToken))!;
        AnalyzerFailures.SetInput(what);
        var after = WholeCompilationIds.Contains(diagnostic.Id)
            ? (await CorpusAnalysis.AnalyzeAsync(compilation, AnalyzerFailures, what, cancellationToken, analyzers)).Where(d => d.Location.SourceTree == newTree).ToImmutableArray()
            : await CorpusAnalysis.AnalyzeTreeAsync(CorpusAnalysis.WithAnalyzers(compilation, AnalyzerFailures, analyzers), newTree, AnalyzerFailures, what, cancellationToken);
        var (oldRegion, newRegion) = Regions(oldText, newText, diagnostic.Location.SourceSpan);
        CheckNoTradedWarnings(what, new[] { diagnostic.Id }, before.Where(d => d.Location.SourceTree == diagnostic.Location.SourceTree), after, oldText, newText);
        await CheckCommentsKeptAsync(what, document, newDocument, cancellationToken);
        var othersBefore = before.Count(d => d.Id == diagnostic.Id && d != diagnostic && d.Location.SourceTree == diagnostic.Location.SourceTree && d.Location.SourceSpan.IntersectsWith(oldRegion));
        var sameAfter = after.Where(d => d.Id == diagnostic.Id && d.Location.SourceSpan.IntersectsWith(newRegion)).ToList();
        if (sameAfter.Count > othersBefore)
        {
            Failures.Add($"{what}: after the fix the analyzers still report {diagnostic.Id} there:\n  " + string.Join("\n  ", sameAfter.Select(CorpusAnalysis.Describe)) + "\n" + Excerpt(oldText, newText));
        }
    }

    private async Task CheckFixAllAsync(CodeFixProvider fixer, Project project, string key, List<Diagnostic> offered, ImmutableArray<Diagnostic> before, CancellationToken cancellationToken)
    {
        var provider = fixer.GetFixAllProvider();
        if (provider is null)
        {
            return;
        }

        var scope = FixAllInProject ? FixAllScope.Project : FixAllScope.Document;
        var first = offered[0];
        var document = project.GetDocument(first.Location.SourceTree)!;
        var targets = scope == FixAllScope.Project ? offered.Distinct().ToList() : offered.Distinct().Where(d => d.Location.SourceTree == first.Location.SourceTree).ToList();
        var what = $"{fixer.GetType().Name} Fix All ({scope}) '{key}' over {targets.Count} diagnostic(s) starting at {CorpusAnalysis.Describe(first)}";
        Project fixedProject;
        try
        {
            var context = new FixAllContext(document, fixer, scope, key, fixer.FixableDiagnosticIds, new DiagnosticProvider(this, fixer.FixableDiagnosticIds.Any(WholeCompilationIds.Contains)), cancellationToken);
            var action = await provider.GetFixAsync(context);
            if (action is null)
            {
                Failures.Add($"{what}: Fix All produced no action");
                return;
            }

            fixedProject = await ApplyAsync(project, action, cancellationToken);
        }
        catch (Exception ex)
        {
            Failures.Add($"{what}: Fix All threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
            return;
        }

        FixAllsApplied++;
        if (!ChangedDocuments(project, fixedProject).Any())
        {
            Failures.Add($"{what}: Fix All changed nothing");
            return;
        }

        var compilation = (await fixedProject.GetCompilationAsync(cancellationToken))!;
        AnalyzerFailures.SetInput(what);
        List<Diagnostic> errors;
        ImmutableArray<Diagnostic> after;
        if (scope == FixAllScope.Project)
        {
            errors = CorpusAnalysis.Errors(compilation).ToList();
            after = errors.Count > 0 ? ImmutableArray<Diagnostic>.Empty : await CorpusAnalysis.AnalyzeAsync(compilation, AnalyzerFailures, what, cancellationToken, analyzers);
        }
        else
        {
            // Document scope: the changed documents are compiled and analyzed (plus every declaration of the project).
            errors = compilation.GetDeclarationDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var builder = ImmutableArray.CreateBuilder<Diagnostic>();
            var withAnalyzers = CorpusAnalysis.WithAnalyzers(compilation, AnalyzerFailures, analyzers);
            var whole = targets.Any(t => WholeCompilationIds.Contains(t.Id))
                ? await CorpusAnalysis.AnalyzeAsync(compilation, AnalyzerFailures, what, cancellationToken, analyzers)
                : (ImmutableArray<Diagnostic>?)null;
            foreach (var id in ChangedDocuments(project, fixedProject))
            {
                var tree = (await fixedProject.GetDocument(id)!.GetSyntaxTreeAsync(cancellationToken))!;
                errors.AddRange(compilation.GetSemanticModel(tree).GetDiagnostics(cancellationToken: cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error));
                builder.AddRange(whole is { } all ? all.Where(d => d.Location.SourceTree == tree) : await CorpusAnalysis.AnalyzeTreeAsync(withAnalyzers, tree, AnalyzerFailures, what, cancellationToken));
            }

            after = builder.ToImmutable();
        }

        if (errors.Count > 0)
        {
            Failures.Add($"{what}: the fixed code does not compile:\n  " + string.Join("\n  ", errors.Distinct().Take(5).Select(CorpusAnalysis.Describe)));
            return;
        }

        foreach (var changedId in ChangedDocuments(project, fixedProject))
        {
            var oldDocument = project.GetDocument(changedId);
            var newDocument = fixedProject.GetDocument(changedId)!;
            if (oldDocument is null)
            {
                continue;
            }

            var path = newDocument.FilePath;
            CheckNoTradedWarnings(
                what,
                targets.Select(t => t.Id).Distinct().ToArray(),
                before.Where(d => d.Location.SourceTree?.FilePath == path),
                after.Where(d => d.Location.SourceTree?.FilePath == path),
                (await oldDocument.GetTextAsync(cancellationToken)).ToString(),
                (await newDocument.GetTextAsync(cancellationToken)).ToString());
            await CheckCommentsKeptAsync(what, oldDocument, newDocument, cancellationToken);
        }

        foreach (var id in targets.Select(t => t.Id).Distinct())
        {
            var trees = scope == FixAllScope.Project ? null : new[] { first.Location.SourceTree!.FilePath };
            bool InScope(Diagnostic d) => trees is null || trees.Contains(d.Location.SourceTree?.FilePath);
            var countBefore = before.Count(d => d.Id == id && InScope(d));
            var fixedCount = targets.Count(t => t.Id == id);
            var countAfter = after.Count(d => d.Id == id && InScope(d));
            if (countAfter > countBefore - fixedCount)
            {
                Failures.Add($"{what}: {id} was reported {countBefore} time(s) before, {fixedCount} offered this fix, but {countAfter} remain after Fix All:\n  " +
                    string.Join("\n  ", after.Where(d => d.Id == id && InScope(d)).Take(5).Select(CorpusAnalysis.Describe)));
            }
        }
    }

    /// <summary>A fix does not trade its warning for another rule's: no other rule of the harness reports more in the document than before.</summary>
    private void CheckNoTradedWarnings(string what, IReadOnlyCollection<string> fixedIds, IEnumerable<Diagnostic> before, IEnumerable<Diagnostic> after, string oldText, string newText)
    {
        var countsBefore = before.GroupBy(d => d.Id).ToDictionary(g => g.Key, g => g.Count());
        foreach (var group in after.Where(d => !fixedIds.Contains(d.Id)).GroupBy(d => d.Id))
        {
            var was = countsBefore.TryGetValue(group.Key, out var count) ? count : 0;
            if (group.Count() > was)
            {
                Failures.Add($"{what}: after the fix {group.Key} is reported {group.Count()} time(s) in the document, {was} before:\n  " +
                    string.Join("\n  ", group.Take(5).Select(CorpusAnalysis.Describe)) + "\n" + Excerpt(oldText, newText));
            }
        }
    }

    /// <summary>
    /// A fix keeps the comments: every comment of the old document is in the new one, unless the code that carried it
    /// (the token it is attached to) was removed by the fix.
    /// </summary>
    private async Task CheckCommentsKeptAsync(string what, Document oldDocument, Document newDocument, CancellationToken cancellationToken)
    {
        var oldRoot = (await oldDocument.GetSyntaxRootAsync(cancellationToken))!;
        var newRoot = (await newDocument.GetSyntaxRootAsync(cancellationToken))!;
        var newComments = Comments(newRoot).GroupBy(c => c.Text).ToDictionary(g => g.Key, g => g.Count());
        var oldText = oldRoot.ToFullString();
        var newText = newRoot.ToFullString();
        var (changed, changedInNew) = Regions(oldText, newText, new TextSpan(0, 0));
        var newTokens = newRoot.DescendantTokens().Where(t => t.Span.IntersectsWith(changedInNew)).Select(t => t.Text).ToHashSet(StringComparer.Ordinal);
        foreach (var group in Comments(oldRoot).GroupBy(c => c.Text))
        {
            var kept = newComments.TryGetValue(group.Key, out var count) ? count : 0;
            var lost = group.Count() - kept;
            if (lost <= 0)
            {
                continue;
            }

            // Comments whose token is gone with the code the fix removed are allowed to go with it.
            var removedWithCode = group.Count(c => c.Token.Span.IntersectsWith(changed) && !newTokens.Contains(c.Token.Text));
            if (lost > removedWithCode)
            {
                Failures.Add($"{what}: the fix dropped the comment '{group.Key}'\n" + Excerpt(oldText, newText));
            }
        }
    }

    private static IEnumerable<(string Text, SyntaxToken Token)> Comments(SyntaxNode root)
        => root.DescendantTrivia(descendIntoTrivia: true)
            .Where(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia))
            .Select(t => (t.ToString().Trim(), t.Token));

    private async Task<ImmutableArray<Diagnostic>> AnalyzeProjectAsync(Project project, CancellationToken cancellationToken)
    {
        var compilation = (await project.GetCompilationAsync(cancellationToken))!;
        AnalyzerFailures.SetInput(project.Name);
        var diagnostics = await CorpusAnalysis.WithAnalyzers(compilation, AnalyzerFailures, analyzers).GetAnalyzerDiagnosticsAsync(cancellationToken);
        AnalyzerFailures.RecordCrashDiagnostics(diagnostics, project.Name);
        return diagnostics.Where(d => d.Id is not ("AD0001" or "AD0002")).ToImmutableArray();
    }

    private static async Task<List<CodeAction>> GetActionsAsync(CodeFixProvider fixer, Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), cancellationToken));
        return actions.SelectMany(a => a.NestedActions.Length > 0 ? a.NestedActions : ImmutableArray.Create(a)).ToList();
    }

    /// <summary>What the IDE does after a code action: add imports, simplify, format the annotated nodes.</summary>
    private static async Task<Project> ApplyAsync(Project project, CodeAction action, CancellationToken cancellationToken)
    {
        var operations = await action.GetOperationsAsync(cancellationToken);
        var apply = operations.OfType<ApplyChangesOperation>().SingleOrDefault()
            ?? throw new InvalidOperationException($"Code action '{action.Title}' produced no ApplyChangesOperation.");
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

    private static IEnumerable<DocumentId> ChangedDocuments(Project before, Project after)
    {
        var changes = after.GetChanges(before);
        return changes.GetChangedDocuments(onlyGetDocumentsWithTextChanges: true).Concat(changes.GetAddedDocuments());
    }

    /// <summary>
    /// The region of the old text covered by the diagnostic and the edit (one region: common prefix and suffix of the two
    /// texts), and its image in the new text.
    /// </summary>
    internal static (TextSpan Old, TextSpan New) Regions(string oldText, string newText, TextSpan diagnostic)
    {
        var prefix = 0;
        var max = Math.Min(oldText.Length, newText.Length);
        while (prefix < max && oldText[prefix] == newText[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < max - prefix && oldText[oldText.Length - 1 - suffix] == newText[newText.Length - 1 - suffix])
        {
            suffix++;
        }

        var changeOld = TextSpan.FromBounds(prefix, oldText.Length - suffix);
        var delta = newText.Length - oldText.Length;
        int Map(int position) => position <= prefix ? position : position >= changeOld.End ? position + delta : prefix;

        if (diagnostic.End < changeOld.Start || diagnostic.Start > changeOld.End)
        {
            return (diagnostic, TextSpan.FromBounds(Map(diagnostic.Start), Map(diagnostic.End)));
        }

        var oldRegion = TextSpan.FromBounds(Math.Min(changeOld.Start, diagnostic.Start), Math.Max(changeOld.End, diagnostic.End));
        var newRegion = TextSpan.FromBounds(Math.Min(prefix, diagnostic.Start), Math.Max(newText.Length - suffix, Map(diagnostic.End)));
        return (oldRegion, newRegion);
    }

    private static string Excerpt(string oldText, string newText)
    {
        var (oldRegion, newRegion) = Regions(oldText, newText, new TextSpan(0, 0));
        static string Cut(string s, TextSpan span) => s.Substring(span.Start, Math.Min(span.Length, 600));
        return "  before: " + Cut(oldText, oldRegion).Replace("\n", "\n          ", StringComparison.Ordinal) +
               "\n  after:  " + Cut(newText, newRegion).Replace("\n", "\n          ", StringComparison.Ordinal);
    }

    private sealed class DiagnosticProvider : FixAllContext.DiagnosticProvider
    {
        private readonly FixSafetyHarness harness;
        private readonly bool whole;

        public DiagnosticProvider(FixSafetyHarness harness, bool whole)
        {
            this.harness = harness;
            this.whole = whole;
        }

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => await harness.AnalyzeProjectAsync(project, cancellationToken);

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var compilation = (await document.Project.GetCompilationAsync(cancellationToken))!;
            var tree = (await document.GetSyntaxTreeAsync(cancellationToken))!;
            if (whole)
            {
                // Compilation-end diagnostics exist only in a whole-compilation analysis (as in the IDE's full analysis).
                return (await harness.AnalyzeProjectAsync(document.Project, cancellationToken)).Where(d => d.Location.SourceTree == tree);
            }

            return await CorpusAnalysis.AnalyzeTreeAsync(CorpusAnalysis.WithAnalyzers(compilation, harness.AnalyzerFailures, harness.analyzers), tree, harness.AnalyzerFailures, document.Name, cancellationToken);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult(Enumerable.Empty<Diagnostic>());
    }
}
