using ContextAnalyzers.Tests.Verification;
using static ContextAnalyzers.Tests.Rules.CTX401ExtractedContextDiscardedTests;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.CTX401ExtractedContextDiscardedAnalyzer, ContextAnalyzers.CTX402ActivityStartedWithoutExtractedParentCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX402ActivityStartedWithoutExtractedParentTests
{
    private const string Key = CTX402ActivityStartedWithoutExtractedParentCodeFix.PassParentKey;

    [Fact]
    public async Task Start_without_parent_is_flagged_and_fixed()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    Baggage.Current = context.Baggage;
                    using var activity = {|#0:Source.StartActivity("process", ActivityKind.Consumer)|};
            """),
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    Baggage.Current = context.Baggage;
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, context.ActivityContext);
            """),
            Key,
            Verify.Diagnostic("CTX402").WithLocation(0).WithArguments("ActivitySource.StartActivity", "context"));
    }

    [Fact]
    public async Task A_local_named_with_a_keyword_stays_escaped()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var @event = Propagator.Extract(default, headers, Get);
                    Baggage.Current = @event.Baggage;
                    using var activity = {|CTX402:Source.StartActivity("process", ActivityKind.Consumer)|};
            """),
            Consumer("""
                    var @event = Propagator.Extract(default, headers, Get);
                    Baggage.Current = @event.Baggage;
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, @event.ActivityContext);
            """),
            Key);
    }

    [Fact]
    public async Task Unused_context_with_a_start_is_reported_once_at_the_start()
    {
        // Neither part is read: CTX402 (with its fix) rather than CTX401 on the Extract as well.
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = {|CTX402:Source.StartActivity("process")|};
            """),
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity("process", ActivityKind.Internal, context.ActivityContext);
            """),
            Key);
    }

    [Fact]
    public async Task Explicit_default_parent_is_replaced()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = {|CTX402:Source.StartActivity("process", ActivityKind.Consumer, parentContext: default)|};
                    using var created = Source.CreateActivity("create", ActivityKind.Consumer, default(ActivityContext));
            """),
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, parentContext: context.ActivityContext);
                    using var created = Source.CreateActivity("create", ActivityKind.Consumer, default(ActivityContext));
            """),
            Key);
    }

    [Fact]
    public async Task Named_arguments_get_a_named_parent()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = {|CTX402:Source.StartActivity(name: "process")|};
            """),
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity("process", ActivityKind.Internal, context.ActivityContext);
            """),
            Key);
    }

    [Fact]
    public async Task Caller_member_name_overload_gets_the_parent_positionally()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = {|CTX402:Source.StartActivity(ActivityKind.Consumer)|};
            """),
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity(ActivityKind.Consumer, context.ActivityContext);
            """),
            Key);
    }

    [Fact]
    public async Task Tracer_span_gets_a_span_context_parent()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var span = {|CTX402:Tracer.StartActiveSpan("process", OpenTelemetry.Trace.SpanKind.Consumer)|};
            """, "    static readonly OpenTelemetry.Trace.Tracer Tracer = OpenTelemetry.Trace.TracerProvider.Default.GetTracer(\"Shop\");"),
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var span = Tracer.StartActiveSpan("process", OpenTelemetry.Trace.SpanKind.Consumer, new OpenTelemetry.Trace.SpanContext(context.ActivityContext));
            """, "    static readonly OpenTelemetry.Trace.Tracer Tracer = OpenTelemetry.Trace.TracerProvider.Default.GetTracer(\"Shop\");"),
            Key);
    }

    [Fact]
    public async Task Ambient_baggage_read_without_attaching_is_flagged_without_a_fix()
    {
        var test = Verify.Create();
        test.TestCode = Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, context.ActivityContext);
                    var tenant = {|#0:Baggage.GetBaggage("tenant")|};
                    Propagator.Inject(new PropagationContext(activity?.Context ?? default, Baggage.Current), headers, (c, k, v) => c[k] = v);
            """);
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX402").WithLocation(0).WithArguments("Baggage.GetBaggage", "context"));
        test.NoFixOfferedKey = Key;
        await test.RunAsync();
    }

    [Theory]
    // The extracted ActivityContext read only for a tag or a test is not a parent.
    [InlineData("using var activity = {|#0:Source.StartActivity(\"process\")|}; activity?.SetTag(\"sampled\", context.ActivityContext.TraceFlags.ToString());")]
    [InlineData("var remote = context.ActivityContext.IsRemote; using var activity = {|#0:Source.StartActivity(\"process\")|}; activity?.SetTag(\"remote\", remote);")]
    [InlineData("var present = context.ActivityContext != default; using var activity = {|#0:Source.StartActivity(\"process\", ActivityKind.Consumer, default(ActivityContext))|}; activity?.SetTag(\"present\", present);")]
    // Started on the ambient context, or as a new activity with no parent, while the extracted one waits in a local.
    [InlineData("var present = context.ActivityContext != default; using var activity = {|#0:Source.StartActivity(\"process\", ActivityKind.Consumer, Activity.Current?.Context ?? default)|};")]
    [InlineData("var present = context.ActivityContext.IsValid(); using var activity = {|#0:new Activity(\"process\").Start()|};")]
    public async Task Extracted_context_read_only_for_a_tag_is_still_an_orphan_start(string body)
    {
        var test = Verify.Create();
        test.TestCode = Consumer("        var context = Propagator.Extract(default, headers, Get);\n        Baggage.Current = context.Baggage;\n        " + body);
        var start = body.Contains("new Activity(", StringComparison.Ordinal) ? "Activity.Start" : "ActivitySource.StartActivity";
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX402").WithLocation(0).WithArguments(start, "context"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData("using var activity = Source.StartActivity(\"process\", ActivityKind.Consumer, context.ActivityContext); activity?.SetTag(\"remote\", context.ActivityContext.IsRemote);")]
    [InlineData("var parent = context.ActivityContext; using var activity = Source.StartActivity(\"process\", ActivityKind.Consumer, parent);")]
    [InlineData("using var activity = new Activity(\"process\").SetParentId(context.ActivityContext.TraceId, context.ActivityContext.SpanId, context.ActivityContext.TraceFlags).Start();")]
    [InlineData("var activity = new Activity(\"process\"); activity.SetParentId(context.ActivityContext.TraceId, context.ActivityContext.SpanId); activity.Start(); activity.Stop();")]
    public async Task Silent_when_the_extracted_context_is_the_parent(string body)
    {
        await Verify.VerifyAnalyzerAsync(Consumer("        var context = Propagator.Extract(default, headers, Get);\n        Baggage.Current = context.Baggage;\n        " + body));
    }

    [Fact]
    public async Task Silent_when_baggage_is_attached_or_passed_explicitly()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    Baggage.Current = context.Baggage;
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, context.ActivityContext);
                    var tenant = Baggage.GetBaggage("tenant");
                    var explicitly = Baggage.GetBaggage("tenant", context.Baggage);
            """));
    }

    [Fact]
    public async Task Silent_for_starts_before_the_extract_with_a_parent_id_or_in_a_nested_lambda()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    using var receive = Source.StartActivity("receive", ActivityKind.Consumer);
                    var context = Propagator.Extract(default, headers, Get);
                    Baggage.Current = context.Baggage;
                    using var linked = Source.StartActivity("process", ActivityKind.Consumer, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
                    Action later = () => Source.StartActivity("later")?.Dispose();
                    later();
            """));
    }

    [Fact]
    public async Task No_fix_when_the_local_is_out_of_scope()
    {
        var test = Verify.Create();
        test.TestCode = Consumer("""
                    if (headers.Count > 0)
                    {
                        var context = Propagator.Extract(default, headers, Get);
                        Baggage.Current = context.Baggage;
                    }
                    using var activity = {|CTX402:Source.StartActivity("process", ActivityKind.Consumer)|};
            """);
        test.NoFixOfferedKey = Key;
        await test.RunAsync();
    }

    [Fact]
    public async Task Fix_all_fixes_every_method()
    {
        await Verify.VerifyCodeFixAsync(
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = {|CTX402:Source.StartActivity("process", ActivityKind.Consumer)|};
            """, """
                void Other(Dictionary<string, string> headers)
                {
                    var incoming = Propagator.Extract(default, headers, Get);
                    using var activity = {|CTX402:Source.StartActivity("other", ActivityKind.Consumer)|};
                }
            """),
            Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, context.ActivityContext);
            """, """
                void Other(Dictionary<string, string> headers)
                {
                    var incoming = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity("other", ActivityKind.Consumer, incoming.ActivityContext);
                }
            """),
            Key);
    }
}
