using ContextAnalyzers.Tests.Verification;
using static ContextAnalyzers.Tests.Rules.CTX401ExtractedContextDiscardedTests;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.CTX407InjectingEmptyContextAnalyzer, ContextAnalyzers.CTX407InjectingEmptyContextCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX407InjectingEmptyContextTests
{
    private const string Key = CTX407InjectingEmptyContextCodeFix.InjectCurrentKey;

    private static string Outbox(string body, bool runtimeUsing = false) => (runtimeUsing ? CTX406DefaultParentIsNotRootTests.RuntimeHeader : Header) + $$"""
        class Outbox
        {
            static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;
            void Save(Dictionary<string, string> headers, List<KeyValuePair<string, string>> pairs)
            {
        {{body}}
            }
        }
        """;

    [Fact]
    public async Task Default_context_is_flagged_and_rewritten_to_inject_current()
    {
        await Verify.VerifyCodeFixAsync(
            Outbox("""
                    Propagator.Inject({|CTX407:default|}, headers, (c, k, v) => c[k] = v);
                    Propagators.DefaultTextMapPropagator.Inject({|CTX407:new PropagationContext(default, Baggage.Current)|}, pairs, (c, k, v) => c.Add(new(k, v)));
                    Propagator.Inject<Dictionary<string, string>>({|CTX407:new PropagationContext(default(ActivityContext), default)|}, carrier: headers, setter: (c, k, v) => c[k] = v);
            """),
            Outbox("""
                    Carriers.InjectCurrent(Propagator, headers, (c, k, v) => c[k] = v);
                    Carriers.InjectCurrent(Propagators.DefaultTextMapPropagator, pairs, (c, k, v) => c.Add(new(k, v)));
                    Carriers.InjectCurrent<Dictionary<string, string>>(Propagator, carrier: headers, setter: (c, k, v) => c[k] = v);
            """, runtimeUsing: true),
            Key);
    }

    [Fact]
    public async Task Inject_current_keeps_the_comments()
    {
        await Verify.VerifyCodeFixAsync(
            Outbox("""
                    // outgoing headers
                    Propagator.Inject( // the default propagator
                        {|CTX407:default|}, // nothing to inject yet
                        headers, // the message headers
                        (c, k, v) => c[k] = v); // set each
            """),
            Outbox("""
                    // outgoing headers
                    Carriers.InjectCurrent(Propagator, // the default propagator
                        headers, // the message headers
                        (c, k, v) => c[k] = v); // set each
            """, runtimeUsing: true),
            Key);
    }

    [Fact]
    public async Task Explicit_baggage_is_flagged_without_a_fix()
    {
        var test = Verify.Create();
        test.TestCode = Outbox("""
                    Propagator.Inject({|CTX407:new PropagationContext(default, Baggage.Create(new Dictionary<string, string> { ["tenant"] = "t" }))|}, headers, (c, k, v) => c[k] = v);
            """);
        test.NoFixOfferedKey = Key;
        await test.RunAsync();
    }

    [Fact]
    public async Task No_runtime_no_fix()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Outbox("""
                    Propagator.Inject({|CTX407:default|}, headers, (c, k, v) => c[k] = v);
            """),
            Key,
            ReferenceSet.AllButRuntime);
    }

    [Fact]
    public async Task Silent_look_alikes()
    {
        await Verify.VerifyAnalyzerAsync(Outbox("""
                    Propagator.Inject(new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    var context = Propagator.Extract(default, headers, (c, k) => c.TryGetValue(k, out var v) ? new[] { v } : null);
                    Propagator.Inject(context, headers, (c, k, v) => c[k] = v);
            """));
    }

    [Fact]
    public async Task Bails_out_without_opentelemetry()
    {
        var test = Verify.Create();
        test.TestCode = "class C { void M(System.Collections.Generic.Dictionary<string, string> h) => System.Diagnostics.DistributedContextPropagator.Current.Inject(null, h, (c, k, v) => { }); }";
        test.References = ReferenceSet.DiagnosticSource;
        await test.RunAsync();
    }
}
