using ContextAnalyzers.Tests.Verification;
using static ContextAnalyzers.Tests.Rules.CTX401ExtractedContextDiscardedTests;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.CTX401ExtractedContextDiscardedAnalyzer, ContextAnalyzers.CTX403ExtractIgnoresCarrierCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX403ExtractIgnoresCarrierTests
{
    private const string Key = CTX403ExtractIgnoresCarrierCodeFix.PassDefaultKey;

    [Fact]
    public async Task Current_context_as_input_is_flagged_and_replaced_by_default()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var current = new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current);
                    var context = Propagator.Extract({|CTX403:current|}, headers, Get);
                    Use(context);
            """),
            Consumer("""
                    var current = new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current);
                    var context = Propagator.Extract(default, headers, Get);
                    Use(context);
            """),
            Key);
    }

    [Fact]
    public async Task Inline_construction_and_named_argument_are_flagged()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    Use(Propagator.Extract({|CTX403:new PropagationContext(Activity.Current!.Context, Baggage.Current)|}, headers, Get));
                    Use(Propagator.Extract(carrier: headers, getter: Get, context: /* keep */ {|CTX403:new PropagationContext(Activity.Current!.Context, default)|}));
            """),
            Consumer("""
                    Use(Propagator.Extract(default, headers, Get));
                    Use(Propagator.Extract(carrier: headers, getter: Get, context: /* keep */ default));
            """),
            Key);
    }

    [Fact]
    public async Task Default_forms_are_silent()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    Use(Propagator.Extract(default, headers, Get));
                    Use(Propagator.Extract(default(PropagationContext), headers, Get));
                    Use(Propagator.Extract(new PropagationContext(), headers, Get));
                    Use(Propagator.Extract(new PropagationContext(default, default), headers, Get));
            """));
    }
}
