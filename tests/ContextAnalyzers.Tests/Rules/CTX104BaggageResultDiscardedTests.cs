using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX104BaggageResultDiscardedAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

public partial class CTX104BaggageResultDiscardedTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using OpenTelemetry;

        """;

    [Fact]
    public Task Instance_calls_whose_result_is_dropped() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Baggage baggage, IEnumerable<KeyValuePair<string, string?>> items)
            {
                [|Baggage.Current.SetBaggage("k", "v")|];
                [|Baggage.Current.SetBaggage(items)|];
                [|Baggage.Current.SetBaggage(new KeyValuePair<string, string?>("a", "b"))|];
                [|Baggage.Current.RemoveBaggage("k")|];
                [|Baggage.Current.ClearBaggage()|];
                [|baggage.SetBaggage("k", "v")|];
            }
        }
        """);

    [Fact]
    public Task Used_results_static_calls_and_explicit_discards_are_silent() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            Baggage M(Baggage baggage)
            {
                var next = Baggage.Current.SetBaggage("k", "v");
                Baggage.Current = baggage.RemoveBaggage("x");
                _ = baggage.ClearBaggage();
                Use(baggage.SetBaggage("a", "b"));
                return next.SetBaggage("k2", "v2");
            }

            void Static()
            {
                // Static calls write Current: CTX101's business, not a discarded result.
                Baggage.SetBaggage("k", "v");
            }

            static void Use(Baggage b) { }
        }
        """);

    [Fact]
    public Task Bails_out_without_OpenTelemetry()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.DiagnosticSource;
        test.TestCode = """
            struct Baggage { public Baggage SetBaggage(string k, string v) => this; public static Baggage Current => default; }
            class C { void M() { Baggage.Current.SetBaggage("k", "v"); } }
            """;
        return test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.Current.SetBaggage(")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.Current.RemoveBaggage(Missing); } }")]
    [InlineData("class C { void M(OpenTelemetry.Baggage? b) { b?.ClearBaggage(); } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}

public class CTX104BaggageResultDiscardedCodeFixTests
{
    private const string Usings = """
        using OpenTelemetry;

        """;

    private const string Source = Usings + """
        class C
        {
            void M(Baggage baggage)
            {
                // add the tenant
                [|Baggage.Current.SetBaggage("tenant", "t1")|]; // for downstream calls
                [|baggage.RemoveBaggage("k")|];
                Work();
            }

            void Work() { }
        }
        """;

    [Fact]
    public Task UseContextScope() => CodeFixVerifier<ContextAnalyzers.Rules.CTX104BaggageResultDiscardedAnalyzer, ContextAnalyzers.Rules.CTX104BaggageResultDiscardedCodeFix>.VerifyCodeFixAsync(Source, """
        using ContextAnalyzers.Runtime;
        using OpenTelemetry;
        class C
        {
            void M(Baggage baggage)
            {
                // add the tenant
                using var scope = ContextScope.Use(Baggage.Current.SetBaggage("tenant", "t1")); // for downstream calls
                using var scope1 = ContextScope.Use(baggage.RemoveBaggage("k"));
                Work();
            }

            void Work() { }
        }
        """, ContextAnalyzers.Rules.CTX104BaggageResultDiscardedCodeFix.UseContextScopeKey);

    [Fact]
    public Task AssignToLocal() => CodeFixVerifier<ContextAnalyzers.Rules.CTX104BaggageResultDiscardedAnalyzer, ContextAnalyzers.Rules.CTX104BaggageResultDiscardedCodeFix>.VerifyCodeFixAsync(Source, Usings + """
        class C
        {
            void M(Baggage baggage)
            {
                // add the tenant
                var baggage1 = Baggage.Current.SetBaggage("tenant", "t1"); // for downstream calls
                var baggage2 = baggage.RemoveBaggage("k");
                Work();
            }

            void Work() { }
        }
        """, ContextAnalyzers.Rules.CTX104BaggageResultDiscardedCodeFix.AssignToLocalKey);

    [Fact]
    public Task UseContextScope_not_offered_without_the_runtime() => CodeFixVerifier<ContextAnalyzers.Rules.CTX104BaggageResultDiscardedAnalyzer, ContextAnalyzers.Rules.CTX104BaggageResultDiscardedCodeFix>.VerifyNoCodeFixOfferedAsync(
        Source, ContextAnalyzers.Rules.CTX104BaggageResultDiscardedCodeFix.UseContextScopeKey, ReferenceSet.AllButRuntime);
}
