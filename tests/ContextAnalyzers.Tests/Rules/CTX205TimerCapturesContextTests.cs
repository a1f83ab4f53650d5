using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX205TimerCapturesContextAnalyzer,
    ContextAnalyzers.Rules.CTX205TimerCapturesContextCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX205TimerCapturesContextTests
{
    private static string Code(string members, bool runtime = false) => $$"""
        using System;
        using System.Diagnostics;
        using System.Threading;
        {{(runtime ? "using ContextAnalyzers.Runtime;\n" : string.Empty)}}
        class C
        {
            static readonly ActivitySource Source = new("S");
            Timer? timer;
            System.Timers.Timer? legacy;
            static void Tick(object? state) { }
        {{members}}
        }
        """;

    [Theory]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); timer = [|new Timer|](Tick, null, 1000, 1000); }")]
    [InlineData("void M() { using (Source.StartActivity(\"request\")) { timer = [|new Timer|](_ => Tick(null), null, TimeSpan.Zero, TimeSpan.FromSeconds(1)); } }")]
    [InlineData("void M() { var activity = Source.StartActivity(\"request\"); timer = [|new Timer|](Tick, null, 1000, 1000); activity?.Stop(); }")]
    [InlineData("Activity? M() { var activity = Source.StartActivity(\"request\"); timer = [|new Timer|](Tick); return activity; }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); legacy = new System.Timers.Timer(1000); [|legacy.Start|](); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"request\"); legacy = new System.Timers.Timer(1000); [|legacy.Enabled = true|]; }")]
    public async Task Flags_timers_created_under_a_live_activity(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Fact]
    public async Task Message_names_the_activity()
    {
        await Verify.VerifyAnalyzerAsync(
            Code("void M() { using var request = Source.StartActivity(\"request\"); timer = {|#0:new Timer|}(Tick, null, 1000, 1000); }"),
            Verify.Diagnostic("CTX205").WithLocation(0).WithArguments("request"));
    }

    [Theory]
    // Outside any activity.
    [InlineData("void M() { timer = new Timer(Tick, null, 1000, 1000); }")]
    [InlineData("void M() { using (Source.StartActivity(\"request\")) { Tick(null); } timer = new Timer(Tick, null, 1000, 1000); }")]
    [InlineData("void M() { legacy = new System.Timers.Timer(1000); legacy.Start(); legacy.Enabled = false; }")]
    // Under SuppressFlow on purpose, with a fresh root inside.
    [InlineData("""
        void M()
        {
            using var activity = Source.StartActivity("request");
            using (ExecutionContext.SuppressFlow())
            {
                timer = new Timer(_ => { using var tick = Source.StartActivity("tick"); Tick(null); }, null, 1000, 1000);
            }
        }
        """)]
    // The activity is started inside the callback.
    [InlineData("void M() { timer = new Timer(_ => { using var tick = Source.StartActivity(\"tick\"); Tick(null); }, null, 1000, 1000); }")]
    public async Task Silent(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Fact]
    public async Task Fix_creates_the_timer_with_ContextTimer()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    void M()
                    {
                        using var activity = Source.StartActivity("request");
                        timer = [|new Timer|](Tick, null, 1000, 1000);
                    }

                    void N()
                    {
                        using var activity = Source.StartActivity("request");
                        timer = [|new Timer|](_ => Tick(null), null, TimeSpan.Zero, TimeSpan.FromSeconds(5)); // every 5 s
                    }
                """),
            Code("""
                    void M()
                    {
                        using var activity = Source.StartActivity("request");
                        timer = ContextTimer.Create(Tick, null, 1000, 1000);
                    }

                    void N()
                    {
                        using var activity = Source.StartActivity("request");
                        timer = ContextTimer.Create(_ => Tick(null), null, TimeSpan.Zero, TimeSpan.FromSeconds(5)); // every 5 s
                    }
                """, runtime: true),
            CTX205TimerCapturesContextCodeFix.UseContextTimerKey);
    }

    [Fact]
    public async Task Fix_keeps_the_qualified_name_when_a_member_is_named_ContextTimer()
    {
        // `ContextTimer.Create(...)` would bind to the property: the fix writes the global:: name and adds no using.
        await Verify.VerifyCodeFixAsync(
            Code("""
                    object? ContextTimer => null;

                    void M()
                    {
                        using var activity = Source.StartActivity("request");
                        timer = [|new Timer|](Tick, null, 1000, 1000);
                    }
                """),
            Code("""
                    object? ContextTimer => null;

                    void M()
                    {
                        using var activity = Source.StartActivity("request");
                        timer = global::ContextAnalyzers.Runtime.ContextTimer.Create(Tick, null, 1000, 1000);
                    }
                """),
            CTX205TimerCapturesContextCodeFix.UseContextTimerKey);
    }

    [Fact]
    public async Task Fix_is_not_offered_without_the_runtime()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Code("void M() { using var activity = Source.StartActivity(\"request\"); timer = [|new Timer|](Tick, null, 1000, 1000); }"),
            CTX205TimerCapturesContextCodeFix.UseContextTimerKey,
            ReferenceSet.AllButRuntime);
    }

    [Fact]
    public async Task Without_diagnostic_source_registers_nothing()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            using System.Threading;
            class C { Timer? t; void M() { t = new Timer(_ => { }, null, 1, 1); } }
            """;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { using var a = s.StartActivity(\"x\"); var t = new System.Threading.Timer( } }")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s) { using var a = s.StartActivity(\"x\"); var t = new System.Timers.Timer(); t.Enabled = } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
