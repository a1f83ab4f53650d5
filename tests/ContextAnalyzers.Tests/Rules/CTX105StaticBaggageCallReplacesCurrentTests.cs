using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX105StaticBaggageCallReplacesCurrentAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX105StaticBaggageCallReplacesCurrentTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using OpenTelemetry;

        """;

    [Fact]
    public Task Static_calls_with_an_explicit_baggage() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            Baggage M(Baggage incoming, IEnumerable<KeyValuePair<string, string?>> items)
            {
                var a = [|Baggage.SetBaggage("k", "v", incoming)|];
                var b = [|Baggage.SetBaggage(items, incoming)|];
                var c = [|Baggage.RemoveBaggage("k", incoming)|];
                var d = [|Baggage.ClearBaggage(incoming)|];
                var e = [|Baggage.SetBaggage(baggage: incoming, name: "k", value: "v")|];
                return a;
            }
        }
        """);

    [Fact]
    public Task Default_or_omitted_baggage_and_instance_calls_are_silent() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            Baggage M(Baggage incoming)
            {
                var a = Baggage.SetBaggage("k", "v");
                var b = Baggage.SetBaggage("k", "v", default);
                var c = Baggage.SetBaggage("k", "v", default(Baggage));
                var d = Baggage.RemoveBaggage("k");
                var e = incoming.SetBaggage("k", "v");
                return a;
            }
        }
        """);

    [Fact]
    public Task Bails_out_without_OpenTelemetry()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.DiagnosticSource;
        test.TestCode = """
            struct Baggage { public static Baggage SetBaggage(string k, string v, Baggage baggage = default) => baggage; }
            class C { void M(Baggage b) { Baggage.SetBaggage("k", "v", b); } }
            """;
        return test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M(OpenTelemetry.Baggage b) { OpenTelemetry.Baggage.SetBaggage(\"k\", \"v\", ")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.ClearBaggage(Missing); } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
