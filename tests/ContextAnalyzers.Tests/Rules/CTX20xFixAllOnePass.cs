using System.Collections.Immutable;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// Fix All as the IDE runs it: ONE application in document scope. The verifier re-runs Fix All until nothing is left
/// (so a batch merge that silently drops an overlapping fix still converges there); this checks that a single Fix All
/// fixes every diagnostic of the key, and returns the text for the caller to compare.
/// </summary>
internal static class CTX20xFixAllOnePass
{
    public static async Task<string> ApplyAsync(IContextTest test, string source, string equivalenceKey)
    {
        var fixer = test.CodeFix ?? throw new InvalidOperationException("The test has no code fix provider.");
        var project = test.CreateProject(new[] { source });
        var document = project.Documents.Single();
        var before = await test.GetAllDiagnosticsAsync(project, CancellationToken.None);
        var fixable = before.Where(d => fixer.FixableDiagnosticIds.Contains(d.Id)).ToList();
        Assert.True(fixable.Count >= 2, "the one-pass Fix All test needs at least two diagnostics, found " + fixable.Count);

        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, fixable[0], (a, _) => actions.Add(a), CancellationToken.None));
        var action = actions.Single(a => a.EquivalenceKey == equivalenceKey);
        var context = new FixAllContext(document, fixer, FixAllScope.Document, equivalenceKey, fixer.FixableDiagnosticIds, new Provider(fixable), CancellationToken.None);
        var fixAll = await fixer.GetFixAllProvider()!.GetFixAsync(context) ?? throw new InvalidOperationException("Fix All produced no action.");
        var operations = await fixAll.GetOperationsAsync(CancellationToken.None);
        var fixedDocument = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;
        fixedDocument = await ImportAdder.AddImportsAsync(fixedDocument, Simplifier.AddImportsAnnotation);
        fixedDocument = await Simplifier.ReduceAsync(fixedDocument, Simplifier.Annotation);
        fixedDocument = await Formatter.FormatAsync(fixedDocument, Formatter.Annotation);

        var after = await test.GetAllDiagnosticsAsync(fixedDocument.Project, CancellationToken.None);
        var text = (await fixedDocument.GetTextAsync()).ToString();
        var errors = after.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the Fix All result does not compile:\n" + string.Join("\n", errors) + "\n" + text);
        var left = after.Where(d => fixer.FixableDiagnosticIds.Contains(d.Id)).ToList();
        Assert.True(left.Count == 0, "one Fix All left " + left.Count + " diagnostic(s):\n" + string.Join("\n", left) + "\n" + text);
        return text;
    }

    private sealed class Provider : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> diagnostics;

        public Provider(IEnumerable<Diagnostic> diagnostics) => this.diagnostics = diagnostics.ToImmutableArray();

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(ImmutableArray<Diagnostic>.Empty);
    }
}
