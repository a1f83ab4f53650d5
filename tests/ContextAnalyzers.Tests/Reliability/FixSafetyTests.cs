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
/// Fix safety: every code fix of the catalog (found by reflection) and Fix All for every equivalence key,
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
    public async Task Every_fix_compiles_on_code_named_with_escaped_keywords_non_ascii_names_and_runtime_type_names()
    {
        // The generated corpus with every local renamed: @event, @class, non-ASCII names, and the runtime's type names
        // (a local named ContextScope hides the type where the fix would write it).
        var corpus = CorpusGenerator.Generate(CorpusOptions.Small(30));
        var original = FixSafetyHarness.CreateProject(corpus.Select(f => (f.Path, f.Text)), ReferenceSet.All);
        var compilation = (await original.GetCompilationAsync())!;
        var files = new List<(string Path, string Text)>();
        foreach (var document in original.Documents)
        {
            var tree = (await document.GetSyntaxTreeAsync())!;
            var renamed = LocalRenamer.Rename((await tree.GetRootAsync()), compilation.GetSemanticModel(tree));
            files.Add((document.FilePath!.Substring("/corpus/".Length), renamed.ToFullString()));
        }

        var project = FixSafetyHarness.CreateProject(files, ReferenceSet.All);
        var text = string.Concat(files.Select(f => f.Text));
        Assert.Contains("@event", text, StringComparison.Ordinal);
        Assert.Contains("größe", text, StringComparison.Ordinal);
        Assert.Contains(" ContextScope =", text, StringComparison.Ordinal);

        var harness = new FixSafetyHarness(Catalog.Analyzers, Catalog.CodeFixes) { MaxDiagnosticsPerId = 2 };
        await harness.RunAsync(project);
        harness.AnalyzerFailures.AssertNone("the renamed corpus while fixing");
        Assert.True(harness.Failures.Count == 0, $"{harness.Failures.Count} unsafe fix(es):\n\n" + string.Join("\n\n", harness.Failures.Take(10)));
        Assert.True(harness.SingleFixesApplied > 10 && harness.FixAllsApplied > 5, $"{harness.SingleFixesApplied} single fixes, {harness.FixAllsApplied} Fix All");
        output.WriteLine($"{harness.DiagnosticsSeen} diagnostics: {harness.SingleFixesApplied} single fixes and {harness.FixAllsApplied} Fix All applied");
    }

    /// <summary>Renames every local of a member to the next unused name of a list of awkward names (by symbol, so every use follows).</summary>
    private static class LocalRenamer
    {
        private static readonly string[] Names =
        {
            "event", "class", "größe", "ContextScope", "object", "データ", "ContextSnapshot", "string", "DetachedWork", "ñandú",
            "Carriers", "base", "ContextEnvelope", "RootActivityScope", "params", "operator",
        };

        private static readonly string[] RuntimeTypes = { "ContextScope", "ContextSnapshot", "DetachedWork", "Carriers", "ContextEnvelope", "RootActivityScope" };

        public static SyntaxNode Rename(SyntaxNode root, SemanticModel model)
        {
            var names = new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default);
            foreach (var member in root.DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax))
            {
                var memberText = member.ToFullString();
                var available = Names.Where(n => !RuntimeTypes.Contains(n) || !memberText.Contains(n, StringComparison.Ordinal)).ToList();
                var next = 0;
                foreach (var node in member.DescendantNodes())
                {
                    var symbol = node switch
                    {
                        VariableDeclaratorSyntax or SingleVariableDesignationSyntax or ForEachStatementSyntax or CatchDeclarationSyntax => model.GetDeclaredSymbol(node),
                        _ => null,
                    };
                    if (symbol is ILocalSymbol local && !names.ContainsKey(local) && local.Name != "_")
                    {
                        var index = next++;
                        names[local] = available[index % available.Count] + (index < available.Count ? "" : (index / available.Count).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            }

            var tokens = new Dictionary<SyntaxToken, string>();
            foreach (var token in root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)))
            {
                var symbol = token.Parent switch
                {
                    IdentifierNameSyntax name => model.GetSymbolInfo(name).Symbol,
                    VariableDeclaratorSyntax or SingleVariableDesignationSyntax or ForEachStatementSyntax or CatchDeclarationSyntax => model.GetDeclaredSymbol(token.Parent),
                    _ => null,
                };
                if (symbol is ILocalSymbol && names.TryGetValue(symbol, out var newName))
                {
                    tokens[token] = newName;
                }
            }

            return root.ReplaceTokens(tokens.Keys, (original, _) =>
            {
                var name = tokens[original];
                return SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None
                    ? SyntaxFactory.VerbatimIdentifier(original.LeadingTrivia, name, name, original.TrailingTrivia)
                    : SyntaxFactory.Identifier(original.LeadingTrivia, name, original.TrailingTrivia);
            });
        }
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

        // A fix that trades FIXPROBE1 for FIXPROBE2 (GC.KeepAlive calls), and one that drops a comment elsewhere.
        var withSecondRule = analyzers.Add(new KeepAliveProbe());
        var trading = new FixSafetyHarness(withSecondRule, ImmutableArray.Create<CodeFixProvider>(new ProbeFixer(ProbeFixer.Mode.Trade)));
        await trading.RunAsync(project);
        Assert.Contains(trading.Failures, f => f.Contains("after the fix FIXPROBE2 is reported", StringComparison.Ordinal) && !f.Contains("Fix All", StringComparison.Ordinal));
        Assert.Contains(trading.Failures, f => f.Contains("after the fix FIXPROBE2 is reported", StringComparison.Ordinal) && f.Contains("Fix All", StringComparison.Ordinal));
        var tradingSafe = new FixSafetyHarness(withSecondRule, ImmutableArray.Create<CodeFixProvider>(new ProbeFixer(ProbeFixer.Mode.Remove)));
        await tradingSafe.RunAsync(project);
        Assert.True(tradingSafe.Failures.Count == 0, string.Join("\n\n", tradingSafe.Failures));

        var commented = FixSafetyHarness.CreateProject(corpus.Select(f => (f.Path, "// " + f.Path + "\n" + f.Text)), ReferenceSet.All);
        var keeping = new FixSafetyHarness(analyzers, ImmutableArray.Create<CodeFixProvider>(new ProbeFixer(ProbeFixer.Mode.Remove)));
        await keeping.RunAsync(commented);
        Assert.True(keeping.Failures.Count == 0, string.Join("\n\n", keeping.Failures));
        var dropping = new FixSafetyHarness(analyzers, ImmutableArray.Create<CodeFixProvider>(new ProbeFixer(ProbeFixer.Mode.DropComments)));
        await dropping.RunAsync(commented);
        Assert.Contains(dropping.Failures, f => f.Contains("the fix dropped the comment", StringComparison.Ordinal) && !f.Contains("Fix All", StringComparison.Ordinal));
        Assert.Contains(dropping.Failures, f => f.Contains("the fix dropped the comment", StringComparison.Ordinal) && f.Contains("Fix All", StringComparison.Ordinal));
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

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class KeepAliveProbe : DiagnosticAnalyzer
    {
        public static readonly DiagnosticDescriptor Rule = new("FIXPROBE2", "Probe", "Probe", "Probe", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationAction(
                c =>
                {
                    if (((IInvocationOperation)c.Operation).TargetMethod.Name == "KeepAlive")
                    {
                        c.ReportDiagnostic(Diagnostic.Create(Rule, c.Operation.Syntax.GetLocation()));
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
            Trade,
            DropComments,
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

        private static SyntaxNode DropComments(SyntaxNode root)
            => root.ReplaceTrivia(root.DescendantTrivia().Where(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia)), (_, _) => SyntaxFactory.Whitespace(string.Empty));

        private SyntaxNode Rewrite(SyntaxNode root, ExpressionStatementSyntax statement) => mode switch
        {
            Mode.Remove => root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia)!,
            Mode.Break => root.ReplaceNode(statement, SyntaxFactory.ParseStatement(statement.ToFullString().Replace("ThrowIfCancellationRequested", "ThrowIfCancellationRequestedd", StringComparison.Ordinal))),
            Mode.Trade => root.ReplaceNode(statement, SyntaxFactory.ParseStatement("System.GC.KeepAlive(null);").WithTriviaFrom(statement)),
            Mode.DropComments => DropComments(root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia)!),
            _ => root.ReplaceNode(statement, statement.WithLeadingTrivia(statement.GetLeadingTrivia().Add(SyntaxFactory.Comment("/* checked */ ")))),
        };
    }
}
