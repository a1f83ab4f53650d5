using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX102ActivityNotEndedAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

public partial class CTX102ActivityNotEndedTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using System.Threading.Tasks;
        using OpenTelemetry.Trace;

        """;

    private static Task Flagged(string members) => Verify.VerifyAnalyzerAsync(Usings + "class C\n{\n    static readonly ActivitySource Source = new(\"c\");\n    static void Work() { }\n" + members + "\n}\n");

    // ------------------------------------------------------------------ flagged

    [Fact]
    public Task Result_discarded() => Flagged("""
            void M()
            {
                [|Source.StartActivity("x")|];
                [|Source.StartActivity("y")|]?.SetTag("k", 1);
                _ = [|Source.StartActivity("z")|];
                [|new Activity("w").Start()|];
                [|Source.CreateActivity("v", ActivityKind.Internal)?.Start()|];
                var id = [|Source.StartActivity("u")|]?.Id;
            }
        """);

    [Fact]
    public Task Each_shape_has_its_sentence_with_the_local_as_its_only_argument() => Verify.VerifyAnalyzerAsync(
        Usings + """
            class C
            {
                static readonly ActivitySource Source = new("c");
                static void Work() { }
                void Discarded() { {|#0:Source.StartActivity("x")|}; }
                void Path(bool early) { var a = {|#1:Source.StartActivity("x")|}; if (early) { return; } a?.Stop(); }
                void Exception() { var a = {|#2:Source.StartActivity("x")|}; Work(); a?.Stop(); }
                void Overwritten() { var a = {|#3:Source.StartActivity("x")|}; a = Source.StartActivity("y"); a?.Stop(); }
                void Span(Tracer tracer) { {|#4:tracer.StartSpan("s")|}; }
                void SpanPath(Tracer tracer, bool early) { var span = {|#5:tracer.StartSpan("s")|}; if (early) { return; } span.End(); }
            }
            """,
        Verify.Diagnostic("CTX102").WithLocation(0).WithMessage("The activity started here is not ended on every path: its result is discarded"),
        Verify.Diagnostic("CTX102").WithLocation(1).WithMessage("The activity started here is not ended on every path: a path leaves the method without ending 'a'"),
        Verify.Diagnostic("CTX102").WithLocation(2).WithMessage("The activity started here is not ended on every path: an exception can leave the method before 'a' is ended (end it in a finally)"),
        Verify.Diagnostic("CTX102").WithLocation(3).WithMessage("The activity started here is not ended on every path: 'a' is assigned again before it was ended"),
        Verify.Diagnostic("CTX102").WithLocation(4).WithMessage("The span started here is not ended on every path: its result is discarded"),
        Verify.Diagnostic("CTX102").WithLocation(5).WithMessage("The span started here is not ended on every path: a path leaves the method without ending 'span'"));

    [Fact]
    public Task Never_ended() => Flagged("""
            void M()
            {
                var activity = [|Source.StartActivity("x")|];
                activity?.SetTag("k", 1);
                Work();
            }
        """);

    [Fact]
    public Task Early_return_before_Stop() => Flagged("""
            void M(bool early)
            {
                var activity = [|Source.StartActivity("x")|];
                if (early)
                {
                    return;
                }

                activity?.Stop();
            }
        """);

    [Fact]
    public Task Throw_between_start_and_Stop() => Flagged("""
            void M(bool fail)
            {
                var activity = [|Source.StartActivity("x")|];
                if (fail)
                {
                    throw new InvalidOperationException();
                }

                activity?.Stop();
            }
        """);

    [Fact]
    public Task Stop_not_in_finally() => Flagged("""
            void M()
            {
                var activity = [|Source.StartActivity("x")|];
                Work();
                activity?.Stop();
            }
        """);

    [Fact]
    public Task Await_between_start_and_Dispose_not_in_finally() => Flagged("""
            async Task M()
            {
                var activity = [|Source.StartActivity("x")|];
                await Task.Delay(1);
                activity?.Dispose();
            }
        """);

    [Fact]
    public Task Overwritten_in_a_loop_before_it_was_ended() => Flagged("""
            void M(int n)
            {
                Activity? activity = null;
                for (var i = 0; i < n; i++)
                {
                    activity = [|Source.StartActivity("x")|];
                }

                activity?.Stop();
            }
        """);

    [Fact]
    public Task New_activity_started_later() => Flagged("""
            void M()
            {
                var activity = new Activity("x");
                [|activity.Start()|];
                Work();
            }
        """);

    [Fact]
    public Task Created_then_started() => Flagged("""
            void M()
            {
                var activity = Source.CreateActivity("x", ActivityKind.Internal);
                [|activity?.Start()|];
                Work();
                activity?.Stop();
            }
        """);

    [Fact]
    public Task Tracer_spans() => Flagged("""
            void M(Tracer tracer)
            {
                var active = [|tracer.StartActiveSpan("a")|];
                var span = [|tracer.StartSpan("b")|];
                [|tracer.StartRootSpan("c")|];
                Work();
                span.End();
                active.Dispose();
            }
        """);

    [Fact]
    public Task Inside_a_lambda() => Flagged("""
            void M()
            {
                Action a = () =>
                {
                    var activity = [|Source.StartActivity("x")|];
                    Work();
                };
                a();
            }
        """);

    // ------------------------------------------------------------------ silent look-alikes

    private static Task Silent(string members) => Flagged(members);

    [Fact]
    public Task Using_declaration_and_statement() => Silent("""
            void M()
            {
                using var a = Source.StartActivity("x");
                using (var b = Source.StartActivity("y"))
                {
                    Work();
                }

                using (Source.StartActivity("z"))
                {
                    Work();
                }
            }
        """);

    [Fact]
    public Task Disposed_or_stopped_in_finally() => Silent("""
            void M()
            {
                var a = Source.StartActivity("x");
                try
                {
                    Work();
                }
                finally
                {
                    a?.Dispose();
                }

                Activity? b = null;
                try
                {
                    b = Source.StartActivity("y");
                    Work();
                }
                finally
                {
                    if (b != null)
                    {
                        b.Stop();
                    }
                }
            }
        """);

    [Fact]
    public Task Null_paths_need_no_end() => Silent("""
            void M()
            {
                var a = Source.StartActivity("x");
                if (a is null)
                {
                    return;
                }

                a.Stop();
                var b = Source.StartActivity("y");
                b?.SetTag("k", 1);
                b?.Stop();
            }
        """);

    [Fact]
    public Task Ownership_transferred() => Silent("""
            Activity? field;
            Activity? Property { get; set; }
            readonly List<Activity?> list = new();

            Activity? Returned() => Source.StartActivity("r");

            Activity? ReturnedLocal()
            {
                var a = Source.StartActivity("r");
                a?.SetTag("k", 1);
                return a;
            }

            void Stored()
            {
                var a = Source.StartActivity("f");
                field = a;
                Property = Source.StartActivity("p");
                list.Add(Source.StartActivity("l"));
                var b = Source.StartActivity("c");
                list.Add(b);
            }

            void Passed()
            {
                var a = Source.StartActivity("a");
                Keep(a);
                Keep(Source.StartActivity("b"));
            }

            void Captured()
            {
                var a = Source.StartActivity("a");
                Action end = () => a?.Stop();
                end();
                var b = Source.StartActivity("b");
                End();
                void End() => b?.Dispose();
            }

            void OutAndRef(out Activity? started, ref Activity? shared)
            {
                started = Source.StartActivity("o");
                var a = Source.StartActivity("r");
                shared = a;
            }

            static readonly List<Activity?> kept = new();
            static void Keep(Activity? a) => kept.Add(a);
        """);

    [Fact]
    public Task Started_and_ended_without_work_between() => Silent("""
            void M()
            {
                var a = Source.StartActivity("x");
                a?.SetTag("k", 1);
                a?.Stop();
                Source.StartActivity("y")?.Stop();
            }
        """);

    [Fact]
    public Task Field_or_parameter_started_is_not_owned_here() => Silent("""
            Activity? field;

            void M(Activity parameter)
            {
                parameter.Start();
                field?.Start();
            }
        """);

    // ------------------------------------------------------------------ robustness

    [Fact]
    public Task Bails_out_without_DiagnosticSource()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            class ActivitySource { public object StartActivity(string n) => new(); }
            class C { void M(ActivitySource s) { s.StartActivity("x"); } }
            """;
        return test.RunAsync();
    }

    [Fact]
    public Task Works_with_DiagnosticSource_only()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.DiagnosticSource;
        test.TestCode = """
            using System.Diagnostics;
            class C { void M(ActivitySource s) { [|s.StartActivity("x")|]; } }
            """;
        return test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { var a = s.StartActivity(")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { var a = s.StartActivity(\"x\"); if (a. ")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { var a = s.StartActivity(\"x\"); try { Missing(); } finally { a?.Stop( } }")]
    [InlineData("class C { System.Diagnostics.Activity? F(System.Diagnostics.ActivitySource s) => s.StartActivity(\"x\") ?? ")]
    [InlineData("class C { void M(OpenTelemetry.Trace.Tracer t) { var s = t.StartSpan(); goto L; L: s.End(); } }")]
    [InlineData("class C { int x = new System.Diagnostics.ActivitySource(\"a\").StartActivity(\"x\")?.Start() is null ? 1 : 0; }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
