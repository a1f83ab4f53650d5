using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using static ContextAnalyzers.Tests.Rules.CTX401ExtractedContextDiscardedTests;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.CTX404BaggagePropagatorMissingAnalyzer, ContextAnalyzers.CTX404BaggagePropagatorMissingCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX404BaggagePropagatorMissingTests
{
    private const string Key = CTX404BaggagePropagatorMissingCodeFix.AddBaggagePropagatorKey;

    internal static string Publisher(string field, string body = """
                Propagator.Inject(new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current), headers, (c, k, v) => c[k] = v);
        """) => Header + $$"""
        class Publisher
        {
        {{field}}
            void Publish(Dictionary<string, string> headers)
            {
        {{body}}
            }
        }
        """;

    [Fact]
    public void Descriptor_is_tagged_compilation_end()
    {
        Assert.Contains(WellKnownDiagnosticTags.CompilationEnd, Descriptors.CTX404BaggagePropagatorMissing.CustomTags);
    }

    [Fact]
    public async Task Composite_without_baggage_used_to_inject_baggage_is_flagged_and_fixed()
    {
        await Verify.VerifyCodeFixAsync(
            Publisher("""
                static readonly TextMapPropagator Propagator = {|#0:new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator() })|};
            """),
            Publisher("""
                static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
            """),
            Key,
            Verify.Diagnostic("CTX404").WithLocation(0).WithMessage("This propagator has no BaggagePropagator, but it injects baggage"));
    }

    [Fact]
    public async Task List_and_implicit_array_composites_are_fixed()
    {
        await Verify.VerifyCodeFixAsync(
            Publisher("""
                static readonly TextMapPropagator Propagator = {|CTX404:new CompositeTextMapPropagator(new List<TextMapPropagator> { new TraceContextPropagator() })|};
                static readonly TextMapPropagator Other = {|CTX404:new CompositeTextMapPropagator(new[] { new TraceContextPropagator() })|};
            """, """
                    Propagator.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    var context = Other.Extract(default, headers, (c, k) => c.TryGetValue(k, out var v) ? new[] { v } : null);
                    Console.WriteLine(context.Baggage.Count);
            """),
            Publisher("""
                static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator(new List<TextMapPropagator> { new TraceContextPropagator(), new BaggagePropagator() });
                static readonly TextMapPropagator Other = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
            """, """
                    Propagator.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    var context = Other.Extract(default, headers, (c, k) => c.TryGetValue(k, out var v) ? new[] { v } : null);
                    Console.WriteLine(context.Baggage.Count);
            """),
            Key);
    }

    [Fact]
    public async Task Bare_trace_context_propagator_in_a_local_reading_extracted_baggage_is_wrapped()
    {
        await Verify.VerifyCodeFixAsync(
            Publisher(string.Empty, """
                    var propagator = {|#0:new TraceContextPropagator()|};
                    var tenant = propagator.Extract(default, headers, (c, k) => c.TryGetValue(k, out var v) ? new[] { v } : null).Baggage.GetBaggage("tenant");
            """),
            Publisher(string.Empty, """
                    var propagator = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
                    var tenant = propagator.Extract(default, headers, (c, k) => c.TryGetValue(k, out var v) ? new[] { v } : null).Baggage.GetBaggage("tenant");
            """),
            Key,
            Verify.Diagnostic("CTX404").WithLocation(0).WithMessage("This propagator has no BaggagePropagator, but the Baggage of its Extract result is read"));
    }

    [Fact]
    public async Task Default_propagator_without_baggage_is_flagged_when_another_file_writes_baggage()
    {
        var test = Verify.Create();
        test.TestCode = """
            using OpenTelemetry;
            using OpenTelemetry.Context.Propagation;
            static class Startup
            {
                public static void Configure() => Sdk.SetDefaultTextMapPropagator({|#0:new TraceContextPropagator()|});
                public static void ConfigureThroughALocal()
                {
                    TextMapPropagator propagator = {|#1:new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator() })|};
                    Sdk.SetDefaultTextMapPropagator(propagator);
                }
            }
            """;
        test.TestCode = """
            using OpenTelemetry;
            static class Checkout
            {
                public static void Begin(string tenant) => Baggage.SetBaggage("tenant", tenant);
            }
            """;
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX404").WithLocation(0).WithMessage("This propagator has no BaggagePropagator, but it is the default propagator and this compilation writes baggage"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX404").WithLocation(1).WithMessage("This propagator has no BaggagePropagator, but it is the default propagator and this compilation writes baggage"));
        test.FixedCode = """
            using OpenTelemetry;
            using OpenTelemetry.Context.Propagation;
            static class Startup
            {
                public static void Configure() => Sdk.SetDefaultTextMapPropagator(new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() }));
                public static void ConfigureThroughALocal()
                {
                    TextMapPropagator propagator = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
                    Sdk.SetDefaultTextMapPropagator(propagator);
                }
            }
            """;
        test.FixedCode = """
            using OpenTelemetry;
            static class Checkout
            {
                public static void Begin(string tenant) => Baggage.SetBaggage("tenant", tenant);
            }
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task Inline_receiver_and_a_public_property_used_from_another_type_are_flagged()
    {
        var test = Verify.Create();
        test.TestCode = Header + """
            public static class Telemetry
            {
                public static TextMapPropagator Propagator { get; } = {|#0:new TraceContextPropagator()|};
            }
            """;
        test.TestCode = Header + """
            class Publisher
            {
                void Publish(Dictionary<string, string> headers)
                {
                    Telemetry.Propagator.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    {|#1:new TraceContextPropagator()|}.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                }
            }
            """;
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX404").WithLocation(0).WithMessage("This propagator has no BaggagePropagator, but it injects baggage"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX404").WithLocation(1).WithMessage("This propagator has no BaggagePropagator, but it injects baggage"));
        test.FixedCode = Header + """
            public static class Telemetry
            {
                public static TextMapPropagator Propagator { get; } = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
            }
            """;
        test.FixedCode = Header + """
            class Publisher
            {
                void Publish(Dictionary<string, string> headers)
                {
                    Telemetry.Propagator.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() }).Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                }
            }
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task Silent_when_the_compilation_never_writes_baggage()
    {
        await Verify.VerifyAnalyzerAsync(Header + """
            static class Startup
            {
                public static void Configure() => Sdk.SetDefaultTextMapPropagator(new TraceContextPropagator());
                public static string? Read() => Baggage.GetBaggage("tenant");
            }
            """);
    }

    [Fact]
    public async Task Silent_for_composites_that_include_baggage_or_unknown_members()
    {
        await Verify.VerifyAnalyzerAsync(Publisher("""
                static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
                static readonly TextMapPropagator Nested = new CompositeTextMapPropagator(new TextMapPropagator[] { new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator() }), new BaggagePropagator() });
                static readonly TextMapPropagator Unknown = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), Propagators.DefaultTextMapPropagator });
                static readonly TextMapPropagator FromElsewhere = new CompositeTextMapPropagator(Build());
                static IEnumerable<TextMapPropagator> Build() => new TextMapPropagator[] { new BaggagePropagator() };
            """, """
                    Propagator.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    Nested.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    Unknown.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    FromElsewhere.Inject(new PropagationContext(default, Baggage.Current), headers, (c, k, v) => c[k] = v);
                    Baggage.SetBaggage("k", "v");
            """));
    }

    [Fact]
    public async Task Silent_for_trace_only_propagators_used_without_baggage()
    {
        await Verify.VerifyAnalyzerAsync(Publisher("""
                static readonly TextMapPropagator Propagator = new TraceContextPropagator();
            """, """
                    Propagator.Inject(new PropagationContext(Activity.Current?.Context ?? default, default), headers, (c, k, v) => c[k] = v);
                    var context = Propagator.Extract(default, headers, (c, k) => c.TryGetValue(k, out var v) ? new[] { v } : null);
                    using var activity = new ActivitySource("x").StartActivity("y", ActivityKind.Consumer, context.ActivityContext);
            """));
    }

    [Fact]
    public async Task Bails_out_without_opentelemetry()
    {
        var test = Verify.Create();
        test.TestCode = "class C { object M() => new System.Diagnostics.ActivitySource(\"x\"); }";
        test.References = ReferenceSet.DiagnosticSource;
        await test.RunAsync();
    }
}
