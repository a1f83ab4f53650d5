using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX206AmbientChangeLostOnReturnAnalyzer,
    ContextAnalyzers.Rules.CTX206AmbientChangeLostOnReturnCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX206AmbientChangeLostOnReturnTests
{
    private static string Code(string members) => $$"""
        using System;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenTelemetry;

        class C
        {
        {{members}}
        }
        """;

    // ------------------------------------------------------------------ flagged

    [Theory]
    [InlineData("async Task M(Activity a) { await Task.Yield(); [|Activity.Current = a|]; }")]
    [InlineData("async Task M() { await Task.Yield(); [|Baggage.SetBaggage(\"k\", \"v\")|]; }")]
    [InlineData("async Task M() { await Task.Yield(); [|Baggage.RemoveBaggage(\"k\")|]; }")]
    [InlineData("async Task M() { await Task.Yield(); [|Baggage.ClearBaggage()|]; }")]
    [InlineData("async Task M(Baggage b) { await Task.Yield(); [|Baggage.Current = b|]; }")]
    [InlineData("Func<Task> M(Activity a) => async () => { await Task.Yield(); [|Activity.Current = a|]; };")]
    [InlineData("Task M(Activity a) => Task.Run(() => { [|Activity.Current = a|]; });")]
    [InlineData("Task M() => Task.Factory.StartNew(() => { [|Baggage.SetBaggage(\"k\", \"v\")|]; });")]
    [InlineData("void M(Activity a) => ThreadPool.QueueUserWorkItem(_ => { [|Activity.Current = a|]; });")]
    [InlineData("void M(Activity a) => Parallel.ForEach(new[] { 1 }, i => { [|Activity.Current = a|]; });")]
    [InlineData("Task M(Task t) => t.ContinueWith(_ => { [|Baggage.SetBaggage(\"k\", \"v\")|]; });")]
    [InlineData("async Task M(Activity a, bool c) { if (c) { [|Activity.Current = a|]; return; } await Task.Delay(1); }")]
    public async Task Flags_a_change_at_the_tail(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Fact]
    public async Task Message_names_the_store()
    {
        await Verify.VerifyAnalyzerAsync(
            Code("async Task M(Activity a) { await Task.Yield(); {|#0:Activity.Current = a|}; {|#1:Baggage.SetBaggage(\"k\", \"v\")|}; }"),
            Verify.Diagnostic("CTX206").WithLocation(0).WithMessage("This change of Activity.Current is lost: nothing after it in this flow observes it, and the caller's context comes back when the flow returns"),
            Verify.Diagnostic("CTX206").WithLocation(1).WithMessage("This change of the baggage is lost: nothing after it in this flow observes it, and the caller's context comes back when the flow returns"));
    }

    [Fact]
    public async Task One_statement_gets_one_diagnostic_across_the_catalog()
    {
        // CTX101 (ambient context not restored) calls TailMutation.IsLostAtTail and stays silent where CTX206 reports.
        await AllAnalyzersVerifier.VerifyAnalyzerAsync(
            Code("async Task M(Activity a) { await Task.Yield(); {|CTX206:Activity.Current = a|}; }"));
    }

    // ------------------------------------------------------------------ silent look-alikes

    [Theory]
    [InlineData("async Task M(Activity a) { Activity.Current = a; await Task.Delay(1); }")]
    [InlineData("async Task M(Activity a) { Activity.Current = a; Console.WriteLine(Activity.Current?.Id); }")]
    [InlineData("async Task M() { Baggage.SetBaggage(\"k\", \"v\"); await Task.Run(() => Console.WriteLine(Baggage.GetBaggage(\"k\"))); }")]
    [InlineData("void M(Activity a) { Activity.Current = a; }")]
    [InlineData("void M(Activity a) => new Thread(() => { Activity.Current = a; }).Start();")]
    [InlineData("async Task M(Activity a) { var previous = Activity.Current; Activity.Current = a; try { await Task.Yield(); } finally { Activity.Current = previous; } }")]
    [InlineData("async Task M() { await Task.Yield(); Activity.Current = null; }")]
    [InlineData("async Task M() { await Task.Yield(); _ = Baggage.Current.SetBaggage(\"k\", \"v\"); }")]
    [InlineData("async Task M(ActivitySource s, Activity a) { using var x = s.StartActivity(\"x\"); await Task.Yield(); Activity.Current = a; }")]
    [InlineData("async Task M(Activity a) { try { await Task.Yield(); Activity.Current = a; } finally { Console.WriteLine(); } }")]
    public async Task Silent(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // ------------------------------------------------------------------ fix

    [Fact]
    public async Task Fix_removes_the_lost_change_keeping_comments()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    async Task M(Activity a)
                    {
                        await Task.Yield();
                        // the caller never sees this
                        [|Activity.Current = a|];
                    }

                    Task N() => Task.Run(() =>
                    {
                        Console.WriteLine();
                        [|Baggage.SetBaggage("k", "v")|];
                    });
                """),
            Code("""
                    async Task M(Activity a)
                    {
                        await Task.Yield();
                        // the caller never sees this
                    }

                    Task N() => Task.Run(() =>
                    {
                        Console.WriteLine();
                    });
                """),
            CTX206AmbientChangeLostOnReturnCodeFix.RemoveLostChangeKey);
    }

    [Fact]
    public async Task No_fix_for_an_expression_bodied_lambda()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Code("Task M(Activity a) => Task.Run(() => [|Activity.Current = a|]);"),
            CTX206AmbientChangeLostOnReturnCodeFix.RemoveLostChangeKey);
    }

    // ------------------------------------------------------------------ bail-outs and robustness

    [Fact]
    public async Task Without_opentelemetry_still_checks_activity()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.DiagnosticSource;
        test.TestCode = """
            using System.Diagnostics;
            using System.Threading.Tasks;
            class C { async Task M(Activity a) { await Task.Yield(); [|Activity.Current = a|]; } }
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task Without_diagnostic_source_registers_nothing()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            using System.Threading.Tasks;
            class Activity { public static Activity? Current { get; set; } }
            class C { async Task M(Activity a) { await Task.Yield(); Activity.Current = a; } }
            """;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { async System.Threading.Tasks.Task M() { System.Diagnostics.Activity.Current = } }")]
    [InlineData("class C { async System.Threading.Tasks.Task M() { await System.Threading.Tasks.Task.Yield(); OpenTelemetry.Baggage.SetBaggage( } }")]
    [InlineData("class C { void M() { System.Threading.Tasks.Task.Run(() => { System.Diagnostics.Activity.Current = x; }) } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
