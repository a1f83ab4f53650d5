using ContextAnalyzers.Tests.Verification;
using static ContextAnalyzers.Tests.Rules.CTX401ExtractedContextDiscardedTests;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.CTX405DefaultPropagatorCachedAnalyzer, ContextAnalyzers.CTX405DefaultPropagatorCachedCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX405DefaultPropagatorCachedTests
{
    private const string Key = CTX405DefaultPropagatorCachedCodeFix.ReadAtCallTimeKey;

    [Fact]
    public async Task Static_readonly_field_becomes_a_property()
    {
        await Verify.VerifyCodeFixAsync(
            Header + """
            class Publisher
            {
                // The propagator used for every message.
                private static readonly TextMapPropagator Propagator = {|#0:Propagators.DefaultTextMapPropagator|}; // trailing
                internal static volatile TextMapPropagator Volatile = {|CTX405:Propagators.DefaultTextMapPropagator|};
            }
            """,
            Header + """
            class Publisher
            {
                // The propagator used for every message.
                private static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator; // trailing
                internal static TextMapPropagator Volatile => Propagators.DefaultTextMapPropagator;
            }
            """,
            Key,
            Verify.Diagnostic("CTX405").WithLocation(0).WithArguments("Propagator"));
    }

    [Fact]
    public async Task Static_auto_property_initializer_becomes_an_expression_body()
    {
        await Verify.VerifyCodeFixAsync(
            Header + """
            static class Telemetry
            {
                public static TextMapPropagator Propagator { get; } = {|CTX405:Propagators.DefaultTextMapPropagator|};
            }
            """,
            Header + """
            static class Telemetry
            {
                public static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;
            }
            """,
            Key);
    }

    [Fact]
    public async Task Static_constructor_assignment_is_flagged_without_a_fix()
    {
        var test = Verify.Create();
        test.TestCode = Header + """
            class Publisher
            {
                private static readonly TextMapPropagator Propagator;
                static Publisher() { Propagator = {|CTX405:Propagators.DefaultTextMapPropagator|}; }
            }
            """;
        test.NoFixOfferedKey = Key;
        await test.RunAsync();
    }

    [Fact]
    public async Task Field_written_elsewhere_gets_no_fix()
    {
        var test = Verify.Create();
        test.TestCode = Header + """
            class Publisher
            {
                private static TextMapPropagator propagator = {|CTX405:Propagators.DefaultTextMapPropagator|};
                public static void Use(TextMapPropagator p) => propagator = p;
            }
            """;
        test.NoFixOfferedKey = Key;
        await test.RunAsync();
    }

    [Fact]
    public async Task Reads_at_call_time_and_instance_fields_are_silent()
    {
        await Verify.VerifyAnalyzerAsync(Header + """
            class Publisher
            {
                private static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;
                private readonly TextMapPropagator perInstance = Propagators.DefaultTextMapPropagator;
                private static readonly TextMapPropagator Explicit = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
                public void Publish(Dictionary<string, string> headers)
                {
                    var local = Propagators.DefaultTextMapPropagator;
                    Propagators.DefaultTextMapPropagator.Inject(new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                }
            }
            """);
    }

    [Fact]
    public async Task Bails_out_without_opentelemetry()
    {
        var test = Verify.Create();
        test.TestCode = "class C { static readonly object P = System.Diagnostics.DistributedContextPropagator.Current; }";
        test.References = ReferenceSet.DiagnosticSource;
        await test.RunAsync();
    }
}
