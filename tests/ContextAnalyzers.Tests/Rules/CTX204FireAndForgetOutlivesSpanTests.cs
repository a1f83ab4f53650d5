using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX204FireAndForgetOutlivesSpanAnalyzer,
    ContextAnalyzers.Rules.CTX204FireAndForgetOutlivesSpanCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX204FireAndForgetOutlivesSpanTests
{
    private static string Code(string members, bool runtime = false) => $$"""
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;
        {{(runtime ? "using ContextAnalyzers.Runtime;\n" : string.Empty)}}
        class C
        {
            static readonly ActivitySource Source = new("S");
            Task? loop;
            static void Work() { }
            static Task SendAsync() => Task.CompletedTask;
            static Task LoopForeverAsync() => Task.CompletedTask;
        {{members}}
        }
        """;

    // ------------------------------------------------------------------ flagged

    [Theory]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); [|Task.Run|](() => Work()); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); [|Task.Factory.StartNew|](() => Work()); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); [|ThreadPool.QueueUserWorkItem|](_ => Work()); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); [|new Thread(Work).Start|](); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); _ = [|SendAsync|](); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); [|SendAsync|](); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); var t = [|Task.Run|](() => Work()); }")]
    [InlineData("void M() { using (var activity = Source.StartActivity(\"request\")) { [|Task.Run|](() => Work()); } }")]
    [InlineData("void M() { using (Source.StartActivity(\"request\")) { [|Task.Run|](() => Work()); } }")]
    [InlineData("void M() { var activity = Source.StartActivity(\"request\"); [|Task.Run|](() => Work()); activity?.Stop(); }")]
    [InlineData("async Task M() { Task t; using (var activity = Source.StartActivity(\"request\")) { t = [|Task.Run|](() => Work()); } await t; }")]
    [InlineData("async Task M() { using var activity = Source.StartActivity(\"request\"); await Task.Yield(); _ = [|Task.Run|](async () => await SendAsync()).ConfigureAwait(false); }")]
    // A task stored in a field while the span ends first: a forever-loop parented on the startup span.
    [InlineData("void Start() { using var startup = Source.StartActivity(\"startup\"); loop = [|Task.Run|](() => LoopForeverAsync()); }")]
    public async Task Flags_work_that_outlives_the_activity(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // Starts written as values the rules used not to see: a conditional start, a coalesce, a switch expression, a fluent
    // start, a created activity started later, a helper of the compilation that returns a started activity.
    [Theory]
    [InlineData("void M(bool on) { using var activity = on ? Source.StartActivity(\"startup\") : null; loop = [|Task.Run|](() => LoopForeverAsync()); }")]
    [InlineData("void M(bool on) { using var activity = on ? null : Source.StartActivity(\"startup\"); loop = [|Task.Run|](() => LoopForeverAsync()); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"a\") ?? Source.StartActivity(\"b\"); loop = [|Task.Run|](() => LoopForeverAsync()); }")]
    [InlineData("void M(int mode) { using var activity = mode switch { 0 => null, _ => Source.StartActivity(\"startup\") }; loop = [|Task.Run|](() => LoopForeverAsync()); }")]
    [InlineData("void M(string id) { using var activity = new Activity(\"startup\").SetParentId(id).Start(); loop = [|Task.Run|](() => LoopForeverAsync()); }")]
    [InlineData("void M() { var activity = Source.CreateActivity(\"startup\", ActivityKind.Internal); activity?.Start(); loop = [|Task.Run|](() => LoopForeverAsync()); activity?.Stop(); }")]
    [InlineData("static Activity? StartStartup() => Source.StartActivity(\"startup\"); void M() { using var activity = StartStartup(); loop = [|Task.Run|](() => LoopForeverAsync()); }")]
    [InlineData("static Activity? StartStartup(bool on) { var a = on ? Source.StartActivity(\"startup\") : null; return a; } void M() { using var activity = StartStartup(true); loop = [|Task.Run|](() => LoopForeverAsync()); }")]
    [InlineData("async Task M(bool on) { using var activity = on ? Source.StartActivity(\"startup\") : null; await SendAsync(); loop = [|Task.Run|](async () => { while (true) { await SendAsync(); } }); }")]
    public async Task Flags_work_started_under_conditional_fluent_and_helper_starts(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // "Live here" is decided on the paths: stopped on one branch, still live on the other.
    [Theory]
    [InlineData("void M(bool x) { var activity = Source.StartActivity(\"request\"); if (x) { activity?.Stop(); } else { loop = [|Task.Run|](() => LoopForeverAsync()); activity?.Stop(); } }")]
    [InlineData("void M(bool x) { var activity = Source.StartActivity(\"request\"); if (x) activity?.Stop(); loop = [|Task.Run|](() => LoopForeverAsync()); activity?.Stop(); }")]
    public async Task Flags_work_started_on_a_path_where_the_activity_is_live(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Theory]
    // The conditional start is disposed before the loop starts, or the loop is awaited inside the span.
    [InlineData("void M(bool on) { using (var activity = on ? Source.StartActivity(\"startup\") : null) { Work(); } loop = Task.Run(() => LoopForeverAsync()); }")]
    [InlineData("async Task M(bool on) { using var activity = on ? Source.StartActivity(\"startup\") : null; await Task.Run(() => LoopForeverAsync()); }")]
    [InlineData("void M(bool on) { var activity = on ? Source.StartActivity(\"startup\") : null; activity?.Stop(); loop = Task.Run(() => LoopForeverAsync()); }")]
    // Stopped on every path before the work starts.
    [InlineData("void M(bool x) { var activity = Source.StartActivity(\"request\"); if (x) { activity?.Stop(); } else { activity?.Dispose(); } loop = Task.Run(() => LoopForeverAsync()); }")]
    // The conditional's other branch is someone else's activity: not started here.
    [InlineData("void M(bool on) { var activity = on ? Source.StartActivity(\"startup\") : Activity.Current; loop = Task.Run(() => LoopForeverAsync()); activity?.Stop(); }")]
    // A created activity that is never started, and a helper that returns someone else's activity.
    [InlineData("void M() { var activity = Source.CreateActivity(\"startup\", ActivityKind.Internal); loop = Task.Run(() => LoopForeverAsync()); activity?.Dispose(); }")]
    [InlineData("static Activity? Current() => Activity.Current; void M() { using var activity = Current(); loop = Task.Run(() => LoopForeverAsync()); }")]
    // The loop is started under suppressed flow.
    [InlineData("void M(bool on) { using var activity = on ? Source.StartActivity(\"startup\") : null; using (ExecutionContext.SuppressFlow()) { loop = Task.Run(() => LoopForeverAsync()); } }")]
    public async Task Silent_for_conditional_starts_ended_first_or_not_ours(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Fact]
    public async Task Message_names_the_activity()
    {
        await Verify.VerifyAnalyzerAsync(
            Code("void M() { using var handle = Source.StartActivity(\"request\"); {|#0:Task.Run|}(() => Work()); }"),
            Verify.Diagnostic("CTX204").WithLocation(0).WithArguments("handle"));
    }

    // ------------------------------------------------------------------ silent look-alikes

    [Theory]
    [InlineData("async Task M() { using var activity = Source.StartActivity(\"request\"); await Task.Run(() => Work()); }")]
    [InlineData("async Task M() { using var activity = Source.StartActivity(\"request\"); await Task.Run(() => Work()).ConfigureAwait(false); }")]
    [InlineData("async Task M() { using var activity = Source.StartActivity(\"request\"); var t = Task.Run(() => Work()); Work(); await t; }")]
    [InlineData("Task M() { using var activity = Source.StartActivity(\"request\"); return Task.Run(() => Work()); }")]
    [InlineData("async Task M() { using var activity = Source.StartActivity(\"request\"); await Task.WhenAll(Task.Run(Work), SendAsync()); }")]
    [InlineData("async Task M() { using var activity = Source.StartActivity(\"request\"); var tasks = new List<Task> { Task.Run(Work) }; await Task.WhenAll(tasks); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); Task.Run(() => Work()).Wait(); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); var t = new Thread(Work); t.Start(); t.Join(); }")]
    // Outside any activity, or after it ended.
    [InlineData("void M() { Task.Run(() => Work()); _ = SendAsync(); }")]
    [InlineData("void M() { using (Source.StartActivity(\"request\")) { Work(); } Task.Run(() => Work()); }")]
    [InlineData("void M() { var activity = Source.StartActivity(\"request\"); activity?.Stop(); Task.Run(() => Work()); }")]
    // The activity is not ended here (returned to the caller): not this rule's call.
    [InlineData("Activity? M() { var activity = Source.StartActivity(\"request\"); Task.Run(() => Work()); return activity; }")]
    // Stopped textually later, but handed to the work (CTX102's path analysis: ownership transferred).
    [InlineData("void M() { var activity = Source.StartActivity(\"request\"); Task.Run(() => activity?.Stop()); activity?.Stop(); }")]
    // Flow suppressed: the work does not see the activity (CTX201's business).
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); using (ExecutionContext.SuppressFlow()) { Task.Run(() => Work()); } }")]
    // Started in a nested function: a different flow.
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); Action a = () => Work(); a(); }")]
    [InlineData("Task M() => Task.Run(() => { using var activity = Source.StartActivity(\"job\"); Work(); });")]
    // The runtime's detached helper (the fix) starts a linked root without the live activity.
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); _ = ContextAnalyzers.Runtime.DetachedWork.Run(Source, \"send\", _ => SendAsync()); }")]
    public async Task Silent(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // ------------------------------------------------------------------ fixes

    [Fact]
    public async Task Fix_awaits_in_an_async_method()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    async Task M()
                    {
                        using var activity = Source.StartActivity("request");
                        await Task.Yield();
                        // send it
                        _ = [|SendAsync|]();
                        [|Task.Run|](() => Work());
                    }
                """),
            Code("""
                    async Task M()
                    {
                        using var activity = Source.StartActivity("request");
                        await Task.Yield();
                        // send it
                        await SendAsync();
                        await Task.Run(() => Work());
                    }
                """),
            CTX204FireAndForgetOutlivesSpanCodeFix.AwaitKey);
    }

    [Fact]
    public async Task Fix_runs_detached_work_linked_to_the_span()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    void M()
                    {
                        using var activity = Source.StartActivity("request");
                        _ = [|SendAsync|]();
                        [|Task.Run|](() => Work());
                        loop = [|Task.Run|](async () => await LoopForeverAsync());
                    }
                """),
            Code("""
                    void M()
                    {
                        using var activity = Source.StartActivity("request");
                        _ = DetachedWork.Run(Source, "SendAsync", _ => SendAsync());
                        DetachedWork.Run(Source, "M.detached", _ => Work());
                        loop = DetachedWork.Run(Source, "M.detached", async _ => await LoopForeverAsync());
                    }
                """, runtime: true),
            CTX204FireAndForgetOutlivesSpanCodeFix.UseDetachedWorkKey);
    }

    [Fact]
    public async Task Detached_fix_keeps_the_comments()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    void M()
                    {
                        using var activity = Source.StartActivity("request");
                        _ = [|SendAsync|](); // fire and forget
                        [|Task.Run|]( // in the background
                            () => // the work
                                Work()); // done
                    }
                """),
            Code("""
                    void M()
                    {
                        using var activity = Source.StartActivity("request");
                        _ = DetachedWork.Run(Source, "SendAsync", _ => SendAsync()); // fire and forget
                        DetachedWork.Run(Source, "M.detached", // in the background
                            _ => // the work
                                Work()); // done
                    }
                """, runtime: true),
            CTX204FireAndForgetOutlivesSpanCodeFix.UseDetachedWorkKey);
    }

    [Fact]
    public async Task Detached_fix_is_not_offered_without_the_runtime()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Code("void M() { using var activity = Source.StartActivity(\"request\"); [|Task.Run|](() => Work()); }"),
            CTX204FireAndForgetOutlivesSpanCodeFix.UseDetachedWorkKey,
            ReferenceSet.AllButRuntime);
    }

    [Fact]
    public async Task Await_fix_is_not_offered_in_a_synchronous_method()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Code("void M() { using var activity = Source.StartActivity(\"request\"); [|Task.Run|](() => Work()); }"),
            CTX204FireAndForgetOutlivesSpanCodeFix.AwaitKey);
    }

    // ------------------------------------------------------------------ bail-out and robustness

    [Fact]
    public async Task Without_diagnostic_source_registers_nothing()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            using System.Threading.Tasks;
            class Activity : System.IDisposable { public void Dispose() { } }
            class ActivitySource { public Activity StartActivity(string n) => new(); }
            class C { void M(ActivitySource s) { using var a = s.StartActivity("x"); Task.Run(() => { }); } }
            """;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { using var a = s.StartActivity(\"x\"); System.Threading.Tasks.Task.Run( } }")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { using var a = s.StartActivity(; _ = Foo(); } }")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { using (s.StartActivity(\"x\")) { new System.Threading.Thread(). } } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
