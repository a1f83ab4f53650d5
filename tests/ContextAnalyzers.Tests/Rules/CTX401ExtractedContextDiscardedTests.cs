using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.CTX401ExtractedContextDiscardedAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX401 (and its neighbours CTX402/CTX403, which share the analyzer): the extracted context goes nowhere.</summary>
public class CTX401ExtractedContextDiscardedTests
{
    internal const string Header = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using OpenTelemetry;
        using OpenTelemetry.Context.Propagation;

        """;

    internal static string Consumer(string body, string members = "") => Header + $$"""
        class Consumer
        {
            static readonly ActivitySource Source = new("Shop");
            static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;
            static IEnumerable<string> Get(Dictionary<string, string> c, string k) => c.TryGetValue(k, out var v) ? new[] { v } : Array.Empty<string>();
            static void Use(PropagationContext context) { }
        {{members}}
            void Handle(Dictionary<string, string> headers)
            {
        {{body}}
            }
        }
        """;

    [Fact]
    public async Task Result_thrown_away_is_flagged()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    {|#0:Propagator.Extract(default, headers, Get)|};
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer);
            """), Verify.Diagnostic("CTX401").WithLocation(0).WithMessage("The context returned by Extract is thrown away"));
    }

    [Fact]
    public async Task Result_assigned_to_discard_is_flagged()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    _ = {|CTX401:Propagator.Extract(default, headers, Get)|};
            """));
    }

    [Fact]
    public async Task Local_never_read_and_no_activity_started_is_flagged()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    var context = {|#0:Propagator.Extract(default, headers, Get)|};
                    Console.WriteLine(headers.Count);
            """), Verify.Diagnostic("CTX401").WithLocation(0).WithMessage("The context returned by Extract is stored in 'context' and never used"));
    }

    [Fact]
    public async Task Local_only_compared_or_hashed_is_flagged()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    var context = {|CTX401:Propagator.Extract(default, headers, Get)|};
                    if (context == default) { return; }
                    Console.WriteLine(context.GetHashCode());
            """));
    }

    [Fact]
    public async Task Extract_inside_a_lambda_is_analyzed_in_the_lambda()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    Action<Dictionary<string, string>> onMessage = h =>
                    {
                        var context = {|CTX401:Propagator.Extract(default, h, Get)|};
                    };
                    onMessage(headers);
            """));
    }

    [Fact]
    public async Task Silent_when_parent_is_passed()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    Baggage.Current = context.Baggage;
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, context.ActivityContext);
            """));
    }

    [Fact]
    public async Task Silent_when_only_linked()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, default(ActivityContext), links: new[] { new ActivityLink(context.ActivityContext) });
            """));
    }

    [Fact]
    public async Task Silent_when_passed_to_another_method_returned_or_stored()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    Use(context);
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer);
            """, """
                PropagationContext field;
                PropagationContext Returned(Dictionary<string, string> headers)
                {
                    var context = Propagator.Extract(default, headers, Get);
                    return context;
                }
                PropagationContext Direct(Dictionary<string, string> headers) => Propagator.Extract(default, headers, Get);
                void Stored(Dictionary<string, string> headers) { field = Propagator.Extract(default, headers, Get); }
                void Captured(Dictionary<string, string> headers)
                {
                    var context = Propagator.Extract(default, headers, Get);
                    Action later = () => Use(context);
                    later();
                }
                void Inline(Dictionary<string, string> headers)
                {
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, Propagator.Extract(default, headers, Get).ActivityContext);
                }
            """));
    }

    [Fact]
    public async Task Silent_inside_a_custom_propagator()
    {
        await Verify.VerifyAnalyzerAsync(Header + """
            sealed class Chained : TextMapPropagator
            {
                private readonly TextMapPropagator inner = new TraceContextPropagator();
                public override ISet<string> Fields => inner.Fields;
                public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter)
                {
                    inner.Extract(context, carrier, getter);
                    return inner.Extract(context, carrier, getter);
                }
                public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter) => inner.Inject(context, carrier, setter);
            }
            """);
    }

    [Fact]
    public async Task Bails_out_without_opentelemetry()
    {
        var test = Verify.Create();
        test.TestCode = """
            using System.Diagnostics;
            class C
            {
                static readonly ActivitySource Source = new("x");
                void M() { using var a = Source.StartActivity("x", ActivityKind.Consumer, default(ActivityContext)); }
            }
            """;
        test.References = ReferenceSet.DiagnosticSource;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M(OpenTelemetry.Context.Propagation.TextMapPropagator p) { var c = p.Extract(default, ; } }")]
    [InlineData("class C { void M(OpenTelemetry.Context.Propagation.TextMapPropagator p) { var c = p.Extract(); c. } }")]
    [InlineData("class C { void M(OpenTelemetry.Context.Propagation.TextMapPropagator p, System.Diagnostics.ActivitySource s) { var c = p.Extract(x, y, z); s.StartActivity(\"a\", , c.Baggage); Missing = OpenTelemetry.Baggage.Current } }")]
    [InlineData("class C { void M(OpenTelemetry.Context.Propagation.TextMapPropagator p) { p.Inject(new OpenTelemetry.Context.Propagation.PropagationContext(default, ), null, ); } }")]
    [InlineData("class C { static readonly OpenTelemetry.Context.Propagation.TextMapPropagator P = OpenTelemetry.Context.Propagation.Propagators.DefaultTextMapPropagator. ; }")]
    [InlineData("class C { void M() { OpenTelemetry.Sdk.SetDefaultTextMapPropagator(new OpenTelemetry.Context.Propagation.CompositeTextMapPropagator(new OpenTelemetry.Context.Propagation.TextMapPropagator[] { new OpenTelemetry.Context.Propagation.TraceContextPropagator(), null! , })); OpenTelemetry.Baggage.SetBaggage( } }")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { using var a = s.StartActivity(\"a\", System.Diagnostics.ActivityKind.Internal, parentContext: ); } }")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s, OpenTelemetry.Context.Propagation.TextMapPropagator p) { var c = p.Extract(default, new System.Collections.Generic.Dictionary<string, string>(), (d, k) => null); using var a = s.StartActivity(; } }")]
    [InlineData("class C { static OpenTelemetry.Context.Propagation.TextMapPropagator P { get; } = OpenTelemetry.Context.Propagation.Propagators.DefaultTextMapPropagator static C() { P = } }")]
    public async Task Half_typed_code_does_not_crash_any_propagation_analyzer(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
