using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>
/// The harness must fail, readably, when a test is wrong: a verifier that passes everything proves nothing.
/// Each test feeds it a deliberate mistake and checks the failure message.
/// </summary>
public class VerifierSelfTests
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

    [Fact]
    public async Task Correct_expectation_passes()
    {
        await CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source);
    }

    [Fact]
    public async Task Correct_fix_passes_single_and_fix_all()
    {
        await CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyCodeFixAsync(
            Source.Replace("Good();\n", "[|Bad()|];\n", StringComparison.Ordinal),
            Fixed,
            RenameBadFix.Key);
    }

    [Fact]
    public async Task Wrong_span_fails_with_paste_ready_markup_and_annotation()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("[|Bad()|];", "[|Bad|]();", StringComparison.Ordinal)));
        Assert.Contains("<-- missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("<-- unexpected", ex.Message, StringComparison.Ordinal);
        Assert.Contains("{|TEST001:Bad()|};", ex.Message, StringComparison.Ordinal);
        Assert.Contains("^^^^^ TEST001: Do not call Bad", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_diagnostic_fails()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("Good();\n", "[|Good()|];\n", StringComparison.Ordinal)));
        Assert.Contains("Expected (2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Actual (1)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("<-- missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extra_diagnostic_fails()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("[|Bad()|];", "Bad();", StringComparison.Ordinal)));
        Assert.Contains("Expected (0)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("<-- unexpected", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_arguments_fail_and_right_ones_pass()
    {
        var source = Source.Replace("[|Bad()|]", "{|#0:Bad()|}", StringComparison.Ordinal);
        await CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(source, new DiagnosticResult("TEST001").WithLocation(0).WithArguments("Bad"));
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(source, new DiagnosticResult("TEST001").WithLocation(0).WithArguments("Good")));
        Assert.Contains("args(\"Good\")   <-- missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("args(\"Bad\")", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_fix_fails_with_a_line_diff()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyCodeFixAsync(Source, Fixed.Replace("Good();\n        Good();", "Good();\n        Good(); // not what the fix writes", StringComparison.Ordinal), RenameBadFix.Key));
        Assert.Contains("differs from the expected code", ex.Message, StringComparison.Ordinal);
        Assert.Contains("- ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("+ ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_that_does_not_compile_fails()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, BreakingFix>.VerifyCodeFixAsync(Source, Fixed.Replace("Good();\n        Good();", "Nope();\n        Good();", StringComparison.Ordinal), BreakingFix.Key));
        Assert.Contains("does not compile", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CS0103", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_equivalence_key_lists_the_offered_ones()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyCodeFixAsync(Source, Fixed, "TEST001.Other"));
        Assert.Contains("No code fix", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_fix_offered_assertion_fails_when_one_is()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyNoCodeFixOfferedAsync(Source, RenameBadFix.Key));
        Assert.Contains("is offered", ex.Message, StringComparison.Ordinal);
        await CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyNoCodeFixOfferedAsync(Source, "TEST001.Other");
    }

    [Fact]
    public async Task Analyzer_exception_fails()
    {
        var ex = await Assert.ThrowsAsync<AnalyzerCrashException>(() =>
            AnalyzerVerifier<ThrowingAnalyzer>.VerifyAnalyzerAsync(Source.Replace("[|Bad()|]", "Bad()", StringComparison.Ordinal)));
        Assert.Contains("ThrowingAnalyzer threw InvalidOperationException", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undeclared_compiler_error_fails_first()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("Good();", "Missing();", StringComparison.Ordinal)));
        Assert.Contains("does not compile", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CS0103", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Declared_compiler_error_passes()
    {
        await CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("Good();", "{|CS0103:Missing|}();", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyzer_that_ignores_generated_code_fails_the_auto_generated_pass()
    {
        var ex = await Assert.ThrowsAsync<VerificationException>(() =>
            AnalyzerVerifier<ReportsInGeneratedCodeAnalyzer>.VerifyAnalyzerAsync(Source));
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
        test.TestCode = Source.Replace("[|Bad()|]", "Bad()", StringComparison.Ordinal);
        test.EditorConfig = "test_option.skip = true";
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { [|void M() { } }", "never closed")]
    [InlineData("class C { void M() { } |]}", "closes nothing")]
    [InlineData("class C { {|CTX101 void M() { } }", "Malformed")]
    public void Unbalanced_markup_fails(string markup, string expected)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Markup.Parse(markup));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unused_location_key_fails()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            CodeFixVerifier<CallsBadAnalyzer, RenameBadFix>.VerifyAnalyzerAsync(Source.Replace("[|Bad()|]", "{|#0:Bad()|}", StringComparison.Ordinal)));
        Assert.Contains("#0", ex.Message, StringComparison.Ordinal);
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
