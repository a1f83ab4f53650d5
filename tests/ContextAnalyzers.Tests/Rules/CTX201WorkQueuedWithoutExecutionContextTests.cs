using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX201WorkQueuedWithoutExecutionContextAnalyzer,
    ContextAnalyzers.Rules.CTX201WorkQueuedWithoutExecutionContextCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX201WorkQueuedWithoutExecutionContextTests
{
    private static string Code(string members) => $$"""
        using System;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenTelemetry;
        using OpenTelemetry.Context;

        class C
        {
            static readonly ActivitySource Source = new("S");
            Timer? timer;
            static void Work() { }
            static void Log(object? o) { }
        {{members}}
        }
        """;

    // ------------------------------------------------------------------ flagged

    [Theory]
    // (a) the callback reads inherited context
    [InlineData("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Activity.Current), null);")]
    [InlineData("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Baggage.GetBaggage(\"tenant\")), null);")]
    [InlineData("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(RuntimeContext.GetValue(\"slot\")), null);")]
    [InlineData("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](s => Log(Baggage.Current), 1, preferLocal: false);")]
    [InlineData("void M() { var t = new Thread(() => Log(Activity.Current)); [|t.UnsafeStart|](); }")]
    [InlineData("void M(CancellationToken ct) => [|ct.UnsafeRegister|](_ => Log(Activity.Current), null);")]
    [InlineData("void M(WaitHandle h) => [|ThreadPool.UnsafeRegisterWaitForSingleObject|](h, (s, t) => Log(Activity.Current), null, -1, true);")]
    // (b) an activity started in the method is live
    [InlineData("void M() { using var activity = Source.StartActivity(\"handle\"); [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Work(), null); }")]
    [InlineData("void M() { using (Source.StartActivity(\"handle\")) { [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Work(), null); } }")]
    // (c) the callback runs a delegate supplied by the caller (dotnet/extensions#6543)
    [InlineData("void M(Action callback) => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => callback(), null);")]
    [InlineData("void M(Action<object?> callback) => [|ThreadPool.UnsafeQueueUserWorkItem|](s => callback(s), null);")]
    [InlineData("void M(Action callback) => [|ThreadPool.UnsafeQueueUserWorkItem|](static s => s(), callback, preferLocal: false);")]
    public async Task Flags_unsafe_hops(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Theory]
    [InlineData("void M() { using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => Log(Activity.Current)); } }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"handle\"); using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(Work); } }")]
    [InlineData("void M(Action callback) { using ([|ExecutionContext.SuppressFlow|]()) { ThreadPool.QueueUserWorkItem(_ => callback()); } }")]
    // A caller's delegate is no reason for a timer, but the same region's other work still is.
    [InlineData("void M(Action callback) { using ([|ExecutionContext.SuppressFlow|]()) { timer = new Timer(_ => callback(), null, 1000, 1000); Task.Run(callback); } }")]
    [InlineData("""
        void M()
        {
            using var activity = Source.StartActivity("request");
            bool restoreFlow = false;
            try
            {
                if (!ExecutionContext.IsFlowSuppressed())
                {
                    [|ExecutionContext.SuppressFlow|]();
                    restoreFlow = true;
                }

                timer = new Timer(_ => Work(), null, 1000, 1000);
            }
            finally
            {
                if (restoreFlow)
                {
                    ExecutionContext.RestoreFlow();
                }
            }
        }
        """)]
    public async Task Flags_suppressed_regions_on_the_SuppressFlow_call(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // The region is decided on the control-flow graph: an undo on one branch does not end the suppression on the other.
    [Theory]
    [InlineData("""
        void M(Action callback, bool cached)
        {
            var flow = [|ExecutionContext.SuppressFlow|]();
            if (cached)
            {
                flow.Undo();
                return;
            }

            ThreadPool.QueueUserWorkItem(_ => callback());
            flow.Undo();
        }
        """)]
    [InlineData("""
        void M(Action callback, bool skip)
        {
            var flow = [|ExecutionContext.SuppressFlow|]();
            if (skip) ExecutionContext.RestoreFlow();
            Task.Run(callback);
            if (!skip) flow.Undo();
        }
        """)]
    public async Task Flags_work_that_a_path_reaches_before_the_restore(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Theory]
    // Restored on every path before the work: the work flows the context.
    [InlineData("""
        void M(Action callback, bool cached)
        {
            var flow = ExecutionContext.SuppressFlow();
            if (cached)
            {
                flow.Undo();
            }
            else
            {
                flow.Undo();
            }

            Task.Run(callback);
        }
        """)]
    [InlineData("""
        void M(Action callback)
        {
            var flow = ExecutionContext.SuppressFlow();
            try
            {
                Work();
            }
            finally
            {
                flow.Undo();
            }

            ThreadPool.QueueUserWorkItem(_ => callback());
        }
        """)]
    // Work in another block than the suppression's is outside its region.
    [InlineData("""
        void M(Action callback, bool b)
        {
            if (b)
            {
                var flow = ExecutionContext.SuppressFlow();
                Work();
                flow.Undo();
            }

            Task.Run(callback);
        }
        """)]
    public async Task Silent_when_every_path_restores_before_the_work(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Fact]
    public async Task Message_gives_the_api_and_the_reason()
    {
        await Verify.VerifyAnalyzerAsync(
            Code("void M(Action callback) { {|#0:ThreadPool.UnsafeQueueUserWorkItem|}(_ => callback(), null); using var a = Source.StartActivity(\"x\"); {|#1:ThreadPool.UnsafeQueueUserWorkItem|}(_ => Work(), null); }"),
            Verify.Diagnostic("CTX201").WithLocation(0).WithMessage("Work started by 'ThreadPool.UnsafeQueueUserWorkItem' runs without the execution context, but the callback runs a delegate supplied by the caller"),
            Verify.Diagnostic("CTX201").WithLocation(1).WithMessage("Work started by 'ThreadPool.UnsafeQueueUserWorkItem' runs without the execution context, but the activity 'a' started in this method is live and its work is handed off without it"));
    }

    // ------------------------------------------------------------------ silent look-alikes

    [Theory]
    // Flowing APIs.
    [InlineData("void M() { using var a = Source.StartActivity(\"x\"); ThreadPool.QueueUserWorkItem(_ => Log(Activity.Current)); }")]
    [InlineData("void M() { using var a = Source.StartActivity(\"x\"); new Thread(() => Log(Activity.Current)).Start(); }")]
    [InlineData("async Task M() { using var a = Source.StartActivity(\"x\"); await Task.Run(() => Log(Activity.Current)).ConfigureAwait(false); }")]
    // Infrastructure code whose callback touches no context.
    [InlineData("void M() => ThreadPool.UnsafeQueueUserWorkItem(_ => Work(), null);")]
    [InlineData("void M(object state) => ThreadPool.UnsafeQueueUserWorkItem(s => Log(s), state);")]
    [InlineData("void M() => ThreadPool.UnsafeQueueUserWorkItem(Log, null);")]
    [InlineData("void M(CancellationToken ct) => ct.UnsafeRegister(s => ((TaskCompletionSource)s!).TrySetCanceled(), new TaskCompletionSource());")]
    // The activity is started in the callback itself, or ended before the hop.
    [InlineData("void M() => ThreadPool.UnsafeQueueUserWorkItem(_ => { using var a = Source.StartActivity(\"job\"); Work(); }, null);")]
    [InlineData("void M() { using (Source.StartActivity(\"x\")) { Work(); } ThreadPool.UnsafeQueueUserWorkItem(_ => Work(), null); }")]
    // The non-capturing timer pattern without a live activity (grpc-dotnet, Npgsql).
    [InlineData("""
        void M()
        {
            bool restoreFlow = false;
            try
            {
                if (!ExecutionContext.IsFlowSuppressed())
                {
                    ExecutionContext.SuppressFlow();
                    restoreFlow = true;
                }

                timer = new Timer(_ => Work(), null, 1000, 1000);
            }
            finally
            {
                if (restoreFlow)
                {
                    ExecutionContext.RestoreFlow();
                }
            }
        }
        """)]
    // A non-capturing timer factory: the caller's callback is a tick, which must not inherit the creator's context.
    [InlineData("""
        static Timer CreateTimer(TimerCallback callback, object? state, TimeSpan due, TimeSpan period)
        {
            var restoreFlow = false;
            try
            {
                if (!ExecutionContext.IsFlowSuppressed())
                {
                    ExecutionContext.SuppressFlow();
                    restoreFlow = true;
                }

                return new Timer(callback, state, due, period);
            }
            finally
            {
                if (restoreFlow)
                {
                    ExecutionContext.RestoreFlow();
                }
            }
        }
        """)]
    [InlineData("void M(Action onTick) { using (ExecutionContext.SuppressFlow()) { timer = new Timer(_ => onTick(), null, 1000, 1000); } }")]
    // A background loop started under SuppressFlow that creates its own roots.
    [InlineData("""
        Task? loop;
        void Start(CancellationToken ct)
        {
            using (ExecutionContext.SuppressFlow())
            {
                loop = Task.Run(async () =>
                {
                    while (!ct.IsCancellationRequested)
                    {
                        using var tick = Source.StartActivity("tick");
                        await Task.Delay(1000, ct);
                    }
                });
            }
        }
        """)]
    public async Task Silent(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // ------------------------------------------------------------------ fixes

    [Theory]
    [InlineData("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Activity.Current), null);", "void M() => ThreadPool.QueueUserWorkItem(_ => Log(Activity.Current), null);")]
    [InlineData("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](s => Log(Baggage.Current), 1, preferLocal: false);", "void M() => ThreadPool.QueueUserWorkItem(s => Log(Baggage.Current), 1, preferLocal: false);")]
    [InlineData("void M() { var t = new Thread(() => Log(Activity.Current)); [|t.UnsafeStart|](); }", "void M() { var t = new Thread(() => Log(Activity.Current)); t.Start(); }")]
    [InlineData("void M(CancellationToken ct) => [|ct.UnsafeRegister|](_ => Log(Activity.Current), null);", "void M(CancellationToken ct) => ct.Register(_ => Log(Activity.Current), null);")]
    [InlineData("void M(WaitHandle h) => [|ThreadPool.UnsafeRegisterWaitForSingleObject|](h, (s, t) => Log(Activity.Current), null, -1, true);", "void M(WaitHandle h) => ThreadPool.RegisterWaitForSingleObject(h, (s, t) => Log(Activity.Current), null, -1, true);")]
    public async Task Fix_switches_to_the_flowing_api(string before, string after)
    {
        await Verify.VerifyCodeFixAsync(Code(before), Code(after), CTX201WorkQueuedWithoutExecutionContextCodeFix.UseFlowingApiKey);
    }

    [Fact]
    public async Task Fix_wraps_the_callback_with_a_snapshot()
    {
        await Verify.VerifyCodeFixAsync(
            Code("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Activity.Current), null);\nvoid N() => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Baggage.Current), null);"),
            Code("void M() => ThreadPool.UnsafeQueueUserWorkItem(ContextSnapshot.Capture().Wrap(_ => Log(Activity.Current)), null);\nvoid N() => ThreadPool.UnsafeQueueUserWorkItem(ContextSnapshot.Capture().Wrap(_ => Log(Baggage.Current)), null);").Replace("using System.Threading.Tasks;", "using System.Threading.Tasks;\nusing ContextAnalyzers.Runtime;", StringComparison.Ordinal),
            CTX201WorkQueuedWithoutExecutionContextCodeFix.WrapWithSnapshotKey);
    }

    [Fact]
    public async Task Snapshot_fix_is_not_offered_without_the_runtime()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Code("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Activity.Current), null);"),
            CTX201WorkQueuedWithoutExecutionContextCodeFix.WrapWithSnapshotKey,
            ReferenceSet.AllButRuntime);
    }

    [Theory]
    [InlineData("void M() { using var activity = Source.StartActivity(\"handle\"); [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Activity.Current), null); }")]
    [InlineData("void M() { using var activity = Source.StartActivity(\"handle\"); var t = new Thread(() => Log(Activity.Current)); [|t.UnsafeStart|](); }")]
    public async Task Flowing_api_fix_is_not_offered_under_a_live_activity(string code)
    {
        // The work would carry the activity past its end, which CTX204 reports: the snapshot fix is offered instead.
        await Verify.VerifyNoCodeFixOfferedAsync(Code(code), CTX201WorkQueuedWithoutExecutionContextCodeFix.UseFlowingApiKey);
    }

    [Fact]
    public async Task Snapshot_fix_is_offered_under_a_live_activity()
    {
        await Verify.VerifyCodeFixAsync(
            Code("void M() { using var activity = Source.StartActivity(\"handle\"); [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Activity.Current), null); }"),
            Code("void M() { using var activity = Source.StartActivity(\"handle\"); ThreadPool.UnsafeQueueUserWorkItem(ContextSnapshot.Capture().Wrap(_ => Log(Activity.Current)), null); }").Replace("using System.Threading.Tasks;", "using System.Threading.Tasks;\nusing ContextAnalyzers.Runtime;", StringComparison.Ordinal),
            CTX201WorkQueuedWithoutExecutionContextCodeFix.WrapWithSnapshotKey);
    }

    [Fact]
    public async Task Flowing_api_fix_is_not_offered_for_a_suppressed_region()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Code("void M() { using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => Log(Activity.Current)); } }"),
            CTX201WorkQueuedWithoutExecutionContextCodeFix.UseFlowingApiKey);
    }

    // ------------------------------------------------------------------ bail-out and robustness

    [Fact]
    public async Task Without_telemetry_registers_nothing()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            using System;
            using System.Threading;
            class C { void M(Action callback) => ThreadPool.UnsafeQueueUserWorkItem(_ => callback(), null); }
            """;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M() { System.Threading.ThreadPool.UnsafeQueueUserWorkItem(_ => System.Diagnostics.Activity.Current } }")]
    [InlineData("class C { void M() { System.Threading.ThreadPool.UnsafeQueueUserWorkItem( } }")]
    [InlineData("class C { void M() { using (System.Threading.ExecutionContext.SuppressFlow()) { System.Threading.Tasks.Task.Run( } } }")]
    [InlineData("class C { void M(System.Threading.Thread t) { t.UnsafeStart(; } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
