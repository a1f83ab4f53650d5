using System.Collections.Immutable;
using System.Composition;
using System.Diagnostics;
using ContextAnalyzers.Corpus;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Xunit.Abstractions;

namespace ContextAnalyzers.Tests.Reliability;

/// <summary>
/// Fix safety (issue 8): every code fix of the catalog (found by reflection) and Fix All for every equivalence key,
/// applied to the diagnostics the analyzers find in the generated corpus, must compile and must not leave the fixed
/// diagnostic in place. <c>CTX_ROBUSTNESS_LARGE=1</c> applies every action to every diagnostic and Fix All per project.
/// </summary>
public sealed class FixSafetyTests
{
    private readonly ITestOutputHelper output;

    public FixSafetyTests(ITestOutputHelper output) => this.output = output;

    [Fact]
    public async Task Every_fix_on_the_generated_corpus_compiles_and_removes_its_diagnostic()
    {
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(CorpusAnalysis.Large ? 200 : 50));
        var project = FixSafetyHarness.CreateProject(corpus.Select(f => (f.Path, f.Text)), ReferenceSet.All);
        var compileErrors = CorpusAnalysis.Errors((await project.GetCompilationAsync())!);
        Assert.True(compileErrors.Count == 0, "the corpus must compile before any fix:\n" + string.Join("\n", compileErrors.Take(10).Select(CorpusAnalysis.Describe)));
        if (Catalog.Analyzers.IsEmpty)
        {
            output.WriteLine("No analyzer in the catalog yet: nothing to fix.");
            return;
        }

        var watch = Stopwatch.StartNew();
        var harness = new FixSafetyHarness(Catalog.Analyzers, Catalog.CodeFixes)
        {
            MaxDiagnosticsPerId = CorpusAnalysis.Large ? null : 1,
            FixAllInProject = CorpusAnalysis.Large,
        };
        await harness.RunAsync(project);
        harness.AnalyzerFailures.AssertNone("the corpus while fixing");
        Assert.True(harness.Failures.Count == 0, $"{harness.Failures.Count} unsafe fix(es):\n\n" + string.Join("\n\n", harness.Failures.Take(10)));
        output.WriteLine($"{Catalog.CodeFixes.Length} fixers over {harness.DiagnosticsSeen} diagnostics: {harness.SingleFixesApplied} single fixes and {harness.FixAllsApplied} Fix All applied in {watch.Elapsed.TotalSeconds:0.0}s");
    }

    [Fact]
    public async Task The_harness_accepts_a_safe_fix_and_catches_a_fix_that_breaks_the_build_or_leaves_the_diagnostic()
    {
        // The harness itself is tested with a probe rule (flags ThrowIfCancellationRequested()) and three fixers.
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(12));
        var project = FixSafetyHarness.CreateProject(corpus.Select(f => (f.Path, f.Text)), ReferenceSet.All);
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowIfCancelledProbe());

        var safe = new FixSafetyHarness(analyzers, ImmutableArray.Create<CodeFixProvider>(new ProbeFixer(ProbeFixer.Mode.Remove)));
        await safe.RunAsync(project);
        Assert.True(safe.DiagnosticsSeen > 0);
        Assert.True(safe.SingleFixesApplied > 0 && safe.FixAllsApplied > 0);
        Assert.True(safe.Failures.Count == 0, string.Join("\n\n", safe.Failures));

        var breaking = new FixSafetyHarness(analyzers, ImmutableArray.Create<CodeFixProvider>(new ProbeFixer(ProbeFixer.Mode.Break)));
        await breaking.RunAsync(project);
        Assert.Contains(breaking.Failures, f => f.Contains("does not compile", StringComparison.Ordinal) && f.Contains("CS1061", StringComparison.Ordinal));

        var useless = new FixSafetyHarness(analyzers, ImmutableArray.Create<CodeFixProvider>(new ProbeFixer(ProbeFixer.Mode.Comment)));
        await useless.RunAsync(project);
        Assert.Contains(useless.Failures, f => f.Contains("still report FIXPROBE1", StringComparison.Ordinal));
        Assert.Contains(useless.Failures, f => f.Contains("remain after Fix All", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("abcdef", "abXYZdef", 2, 2, 2, 5)] // insertion at the diagnostic
    [InlineData("abcdef", "abcdef!", 1, 2, 1, 2)] // edit elsewhere: exact image
    [InlineData("0123456789", "0189", 3, 4, 2, 2)] // diagnostic deleted with its surroundings
    public void Regions_map_the_fixed_place_into_the_new_text(string oldText, string newText, int start, int end, int newStart, int newEnd)
    {
        var (_, region) = FixSafetyHarness.Regions(oldText, newText, Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(start, end));
        Assert.Equal((newStart, newEnd), (region.Start, region.End));
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class ThrowIfCancelledProbe : DiagnosticAnalyzer
    {
        public static readonly DiagnosticDescriptor Rule = new("FIXPROBE1", "Probe", "Probe", "Probe", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    if (invocation.TargetMethod.Name == "ThrowIfCancellationRequested" && invocation.Parent is IExpressionStatementOperation statement)
                    {
                        c.ReportDiagnostic(Diagnostic.Create(Rule, statement.Syntax.GetLocation()));
                    }
                },
                OperationKind.Invocation);
        }
    }

    [ExportCodeFixProvider(LanguageNames.CSharp)]
    [Shared]
    private sealed class ProbeFixer : CodeFixProvider
    {
        private readonly Mode mode;

        public ProbeFixer(Mode mode) => this.mode = mode;

        public enum Mode
        {
            Remove,
            Break,
            Comment,
        }

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("FIXPROBE1");

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = (await context.Document.GetSyntaxRootAsync(context.CancellationToken))!;
            if (root.FindNode(context.Span) is not ExpressionStatementSyntax statement)
            {
                return;
            }

            context.RegisterCodeFix(
                CodeAction.Create("probe " + mode, ct => Task.FromResult(context.Document.WithSyntaxRoot(Rewrite(root, statement))), "FIXPROBE1." + mode),
                context.Diagnostics);
        }

        private SyntaxNode Rewrite(SyntaxNode root, ExpressionStatementSyntax statement) => mode switch
        {
            Mode.Remove => root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia)!,
            Mode.Break => root.ReplaceNode(statement, SyntaxFactory.ParseStatement(statement.ToFullString().Replace("ThrowIfCancellationRequested", "ThrowIfCancellationRequestedd", StringComparison.Ordinal))),
            _ => root.ReplaceNode(statement, statement.WithLeadingTrivia(statement.GetLeadingTrivia().Add(SyntaxFactory.Comment("/* checked */ ")))),
        };
    }
}
