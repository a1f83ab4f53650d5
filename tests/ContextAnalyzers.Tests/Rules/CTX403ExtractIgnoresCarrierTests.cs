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

    [Fact]
    public async Task A_local_still_holding_its_default_is_silent()
    {
        // The only value that reaches the call is the declaration's default; the call's own result stored back into
        // the local, and writes after the call, do not change what the call reads.
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    PropagationContext context = default;
                    if (headers.Count > 0)
                    {
                        context = Propagator.Extract(context, headers, Get);
                    }

                    var other = new PropagationContext();
                    Use(Propagator.Extract(other, headers, Get));
                    other = new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current);
                    Use(context);
                    Use(other);
                    for (var i = 0; i < 2; i++)
                    {
                        var fresh = default(PropagationContext);
                        fresh = Propagator.Extract(fresh, headers, Get);
                        Use(fresh);
                    }
            """));
    }

    [Fact]
    public async Task A_local_written_before_the_call_or_by_a_repeated_call_is_flagged()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    PropagationContext context = default;
                    if (headers.Count > 1)
                    {
                        context = new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current);
                    }

                    context = Propagator.Extract({|CTX403:context|}, headers, Get);
                    var chained = default(PropagationContext);
                    foreach (var pair in headers)
                    {
                        chained = Propagator.Extract({|CTX403:chained|}, headers, Get);
                    }

                    var byRef = default(PropagationContext);
                    Refresh(ref byRef);
                    Use(Propagator.Extract({|CTX403:byRef|}, headers, Get));
                    var captured = default(PropagationContext);
                    Action reset = () => captured = new PropagationContext(Activity.Current!.Context, default);
                    reset();
                    Use(Propagator.Extract({|CTX403:captured|}, headers, Get));
                    Use(context);
                    Use(chained);
            """, "    static void Refresh(ref PropagationContext c) => c = new PropagationContext(Activity.Current!.Context, Baggage.Current);\n"));
    }
}
