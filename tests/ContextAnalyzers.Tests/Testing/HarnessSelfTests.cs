using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>
/// The harness must fail when a test is wrong: a verifier that passes everything proves nothing. The framework tests
/// its own checks; these feed a deliberate mistake through this project's wrappers (markup conversion, NoFixOfferedKey,
/// the auto-generated pass, options, references) and check that the run fails, and that the right expectation passes.
/// </summary>
public class HarnessSelfTests
{
    private const string Source = """
        class C
        {
            void Bad() { }
            void Good() { }
            void M()
            {
                [|Bad()|];
                Good();
            }
        }
        """;

    private const string Fixed = """
        class C
        {
            void Bad() { }
            void Good() { }
            void M()
            {
                Good();
                Good();
            }
        }
        """;

    private static Task<Exception> Fails(Func<Task> run) => Assert.ThrowsAnyAsync<Exception>(run);

    [Fact]
    public Task Correct_expectation_passes() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source);

    [Fact]
    public Task Correct_fix_passes_single_and_fix_all()
        => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyCodeFixAsync(Source.Replace("Good();\n", "[|Bad()|];\n", StringComparison.Ordinal), Fixed, RenameBadFix.Key);

    [Fact]
    public async Task Wrong_span_fails()
    {
        var ex = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("[|Bad()|];", "[|Bad|]();", StringComparison.Ordinal)));
        Assert.Contains("TEST001", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_diagnostic_fails()
    {
        var ex = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("Good();\n", "[|Good()|];\n", StringComparison.Ordinal)));
        Assert.Contains("Mismatch between number of diagnostics", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extra_diagnostic_fails()
    {
        var ex = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("[|Bad()|];", "Bad();", StringComparison.Ordinal)));
        Assert.Contains("Mismatch between number of diagnostics", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_arguments_fail_and_right_ones_pass()
    {
        var source = Source.Replace("[|Bad()|]", "{|#0:Bad()|}", StringComparison.Ordinal);
        await CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(source, CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Diagnostic("TEST001").WithLocation(0).WithArguments("Bad"));
        var ex = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(source, CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Diagnostic("TEST001").WithLocation(0).WithArguments("Good")));
        Assert.Contains("Do not call Good", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arguments_are_checked_in_the_sentence_and_a_rule_with_several_sentences_needs_the_message()
    {
        var source = Source.Replace("[|Bad()|]", "{|#0:Bad()|}", StringComparison.Ordinal);

        // The arguments are formatted into the rule's sentence, which the framework compares with the reported message.
        var expected = MarkupExpectations.WithArgumentsChecked(
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Diagnostic("TEST001").WithArguments("Bad"),
            ImmutableArray.Create(CallsBadAnalyzer.Rule));
        Assert.Equal("Do not call Bad", expected.Message);
        var tooMany = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(source, CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Diagnostic("TEST001").WithLocation(0).WithArguments("Bad", "extra")));
        Assert.Contains("takes 1", tooMany.Message, StringComparison.Ordinal);

        // Two sentences under one ID: WithArguments cannot say which one is meant; WithMessage can.
        var ambiguous = await Fails(() => AnalyzerVerifier<TwoSentencesAnalyzer>.VerifyAnalyzerAsync(source, AnalyzerVerifier<TwoSentencesAnalyzer>.Diagnostic("TEST003").WithLocation(0).WithArguments("Bad")));
        Assert.Contains("WithMessage", ambiguous.Message, StringComparison.Ordinal);
        await AnalyzerVerifier<TwoSentencesAnalyzer>.VerifyAnalyzerAsync(source, AnalyzerVerifier<TwoSentencesAnalyzer>.Diagnostic("TEST003").WithLocation(0).WithMessage("Bad is called here"));
        await Fails(() => AnalyzerVerifier<TwoSentencesAnalyzer>.VerifyAnalyzerAsync(source, AnalyzerVerifier<TwoSentencesAnalyzer>.Diagnostic("TEST003").WithLocation(0).WithMessage("Do not call Bad")));
    }

    [Fact]
    public async Task Wrong_severity_fails_when_stated()
    {
        var source = Source.Replace("[|Bad()|]", "{|#0:Bad()|}", StringComparison.Ordinal);
        var ex = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(source, CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Diagnostic("TEST001").WithLocation(0).WithSeverity(DiagnosticSeverity.Error)));
        Assert.Contains("severity", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_fix_fails()
    {
        await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyCodeFixAsync(Source, Fixed.Replace("Good();\n        Good();", "Good();\n        Good(); // not what the fix writes", StringComparison.Ordinal), RenameBadFix.Key));
    }

    [Fact]
    public async Task Fix_that_does_not_compile_fails()
    {
        var ex = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, BreakingFix>.VerifyCodeFixAsync(Source, Fixed.Replace("Good();\n        Good();", "Nope();\n        Good();", StringComparison.Ordinal), BreakingFix.Key));
        Assert.Contains("CS0103", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_equivalence_key_fails()
    {
        await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyCodeFixAsync(Source, Fixed, "TEST001.Other"));
    }

    [Fact]
    public async Task No_fix_offered_assertion_fails_when_one_is()
    {
        await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyNoCodeFixOfferedAsync(Source, RenameBadFix.Key));
        await CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyNoCodeFixOfferedAsync(Source, "TEST001.Other");
    }

    [Fact]
    public async Task No_fix_offered_assertion_needs_a_fixable_diagnostic()
    {
        var ex = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyNoCodeFixOfferedAsync(Source.Replace("[|Bad()|]", "Good()", StringComparison.Ordinal), RenameBadFix.Key));
        Assert.Contains("prove nothing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyzer_exception_fails()
    {
        var ex = await Fails(() => AnalyzerVerifier<ThrowingAnalyzer>.VerifyAnalyzerAsync(Source.Replace("[|Bad()|]", "Bad()", StringComparison.Ordinal)));
        Assert.Contains("AD0001", ex.Message, StringComparison.Ordinal);
        var crash = await Assert.ThrowsAsync<AnalyzerCrashException>(() => CrashVerifier.AssertNoCrashAsync(Source, ReferenceSet.All, ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingAnalyzer())));
        Assert.Contains("ThrowingAnalyzer threw InvalidOperationException", crash.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undeclared_compiler_error_fails()
    {
        var ex = await Fails(() => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("Good();", "Missing();", StringComparison.Ordinal)));
        Assert.Contains("CS0103", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task Declared_compiler_error_passes()
        => CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("Good();", "{|CS0103:Missing|}();", StringComparison.Ordinal));

    [Fact]
    public async Task Analyzer_that_ignores_generated_code_fails_the_auto_generated_pass()
    {
        var ex = await Fails(() => AnalyzerVerifier<ReportsInGeneratedCodeAnalyzer>.VerifyAnalyzerAsync(Source));
        Assert.Contains("auto-generated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Editorconfig_reaches_the_analyzer_as_a_real_config_document()
    {
        var test = CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Create();
        test.TestCode = Source.Replace("[|Bad()|]", "Bad()", StringComparison.Ordinal);
        test.EditorConfig = "dotnet_diagnostic.TEST001.severity = none";
        await test.RunAsync();

        test = CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Create();
        test.TestCode = Source.Replace("[|Bad()|]", "{|#0:Bad()|}", StringComparison.Ordinal);
        test.EditorConfig = "dotnet_diagnostic.TEST001.severity = error";
        test.ExpectedDiagnostics.Add(CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Diagnostic("TEST001").WithLocation(0).WithSeverity(DiagnosticSeverity.Error));
        await test.RunAsync();

        test = CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.Create();
        test.TestCode = Source.Replace("[|Bad()|]", "Bad()", StringComparison.Ordinal);
        test.EditorConfig = "test_option.skip = true";
        await test.RunAsync();
    }

    [Fact]
    public void Unbalanced_markup_fails()
    {
        Assert.ThrowsAny<Exception>(() => Markup.Parse("class C { [|void M() { } }"));
    }

    [Fact]
    public void Markup_parses_nested_spans()
    {
        var (text, spans) = Markup.Parse("a{|CTX101:b[|c|]d|}e{|#3:f|}");
        Assert.Equal("abcdef", text);
        Assert.Collection(
            spans,
            s => Assert.Equal(("CTX101", 1, 4), (s.Id, s.Span.Start, s.Span.End)),
            s => Assert.Equal(((string?)null, 2, 3), (s.Id, s.Span.Start, s.Span.End)),
            s => Assert.Equal((3, 5, 6), (s.Key, s.Span.Start, s.Span.End)));
    }

    [Fact]
    public async Task References_can_drop_opentelemetry()
    {
        const string usesBaggage = "class C { object M() => OpenTelemetry.Baggage.Current; }";
        await AnalyzerVerifier<ThrowingAnalyzerOff>.VerifyAnalyzerAsync(usesBaggage);
        var test = AnalyzerVerifier<ThrowingAnalyzerOff>.Create();
        test.TestCode = "class C { object M() => {|CS0103:OpenTelemetry|}.Baggage.Current; }";
        test.References = ReferenceSet.DiagnosticSource;
        await test.RunAsync();
    }

    [Fact]
    public async Task FrameworkOnly_drops_DiagnosticSource()
    {
        var test = AnalyzerVerifier<ThrowingAnalyzerOff>.Create();
        test.TestCode = "class C { object? M() => {|CS0234:System.Diagnostics.Activity|}.Current; }";
        test.References = ReferenceSet.FrameworkOnly;
        await test.RunAsync();
    }

    // ------------------------------------------------------------------ test doubles

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CallsBadAnalyzer : DiagnosticAnalyzer
    {
        public static readonly DiagnosticDescriptor Rule = new("TEST001", "Do not call Bad", "Do not call {0}", "Test", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterSyntaxNodeAction(
                c =>
                {
                    if (c.Options.AnalyzerConfigOptionsProvider.GetOptions(c.Node.SyntaxTree).TryGetValue("test_option.skip", out var skip) && skip == "true")
                    {
                        return;
                    }

                    var inv = (InvocationExpressionSyntax)c.Node;
                    if (inv.Expression is IdentifierNameSyntax { Identifier.ValueText: "Bad" })
                    {
                        c.ReportDiagnostic(Diagnostic.Create(Rule, inv.GetLocation(), "Bad"));
                    }
                },
                SyntaxKind.InvocationExpression);
        }
    }

    /// <summary>One ID, two sentences (the way CTX102 or CTX303 hold one sentence per shape); reports the second.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class TwoSentencesAnalyzer : DiagnosticAnalyzer
    {
        public static readonly DiagnosticDescriptor First = new("TEST003", "Do not call Bad", "Do not call {0}", "Test", DiagnosticSeverity.Warning, true);

        public static readonly DiagnosticDescriptor Second = new("TEST003", "Do not call Bad", "{0} is called here", "Test", DiagnosticSeverity.Warning, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(First, Second);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterSyntaxNodeAction(
                c =>
                {
                    if (((InvocationExpressionSyntax)c.Node).Expression is IdentifierNameSyntax { Identifier.ValueText: "Bad" })
                    {
                        c.ReportDiagnostic(Diagnostic.Create(Second, c.Node.GetLocation(), "Bad"));
                    }
                },
                SyntaxKind.InvocationExpression);
        }
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ReportsInGeneratedCodeAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(CallsBadAnalyzer.Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterSyntaxNodeAction(
                c =>
                {
                    if (((InvocationExpressionSyntax)c.Node).Expression is IdentifierNameSyntax { Identifier.ValueText: "Bad" })
                    {
                        c.ReportDiagnostic(Diagnostic.Create(CallsBadAnalyzer.Rule, c.Node.GetLocation(), "Bad"));
                    }
                },
                SyntaxKind.InvocationExpression);
        }
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ThrowingAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(CallsBadAnalyzer.Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterSyntaxNodeAction(_ => throw new InvalidOperationException("boom"), SyntaxKind.InvocationExpression);
        }
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ThrowingAnalyzerOff : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(CallsBadAnalyzer.Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        }
    }

    public sealed class RenameBadFix : CodeFixProvider
    {
        public const string Key = "TEST001.CallGood";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("TEST001");

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = (await context.Document.GetSyntaxRootAsync(context.CancellationToken))!;
            var node = root.FindNode(context.Span, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>()!;
            context.RegisterCodeFix(
                CodeAction.Create("Call Good", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(node.Expression, SyntaxFactory.IdentifierName(ReplacementName).WithTriviaFrom(node.Expression)))), Key),
                context.Diagnostics);
        }

        private static string ReplacementName => "Good";
    }

    public sealed class BreakingFix : CodeFixProvider
    {
        public const string Key = "TEST001.Break";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("TEST001");

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = (await context.Document.GetSyntaxRootAsync(context.CancellationToken))!;
            var node = root.FindNode(context.Span, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>()!;
            context.RegisterCodeFix(
                CodeAction.Create("Break", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(node.Expression, SyntaxFactory.IdentifierName("Nope").WithTriviaFrom(node.Expression)))), Key),
                context.Diagnostics);
        }
    }
}
