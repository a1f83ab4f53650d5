using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX204FireAndForgetOutlivesSpanAnalyzer,
    ContextAnalyzers.Rules.CTX204FireAndForgetOutlivesSpanCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX204 across a call: the callee (a method or constructor of the compilation) starts the long-lived work.</summary>
public class CTX204CalleeStartsWorkTests
{
    private static string Code(string caller, string callee) => $$"""
        using System;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;

        class Caller
        {
            static readonly ActivitySource Source = new("S");
            static void Work() { }
            Watcher? watcher;
        {{caller}}
        }

        class Watcher : IDisposable
        {
            Task? loop;
            Thread? thread;
            Timer? timer;
            readonly CancellationTokenSource cts = new();
            static Task TickAsync() => Task.CompletedTask;
        {{callee}}
            public void Dispose() => cts.Cancel();
        }
        """;

    private const string LoopingConstructor = "public Watcher() { {|#1:Task.Run|}(async () => { while (true) { await TickAsync(); } }); }";

    // ------------------------------------------------------------------ flagged

    [Fact]
    public async Task Constructor_that_starts_a_forever_loop_inside_a_span()
    {
        // A watcher constructed inside a "sending paused" span: its loop parents on that span for the life of the process.
        await Verify.VerifyAnalyzerAsync(
            Code(
                "void Pause() { using var paused = Source.StartActivity(\"sending paused\"); watcher = {|#0:new Watcher()|}; }",
                LoopingConstructor),
            Verify.Diagnostic("CTX204").WithLocation(0).WithLocation(1).WithArguments("paused"));
    }

    [Theory]
    // A connection's main loop started under the connect activity, the start awaited (its loop is not).
    [InlineData(
        "async Task ConnectAsync(Watcher w) { using var connect = Source.StartActivity(\"connect\"); await {|#0:w.StartAsync|}(); }",
        "public async Task StartAsync() { await Task.Yield(); loop = {|#1:Task.Run|}(() => MainLoopAsync(cts.Token)); } async Task MainLoopAsync(CancellationToken ct) { while (!ct.IsCancellationRequested) { await TickAsync(); } }")]
    // The loop method named as a method group, StartNew with LongRunning, a discarded task.
    [InlineData(
        "void Connect(Watcher w) { using var connect = Source.StartActivity(\"connect\"); {|#0:w.Start|}(); }",
        "public void Start() => _ = {|#1:Task.Factory.StartNew|}(Pump, TaskCreationOptions.LongRunning); void Pump() { for (;;) { Thread.Sleep(1000); } }")]
    // A thread, started through the field that holds it.
    [InlineData(
        "void Connect(Watcher w) { var connect = Source.StartActivity(\"connect\"); {|#0:w.Start|}(); connect?.Stop(); }",
        "public void Start() { thread = new Thread(() => { }); {|#1:thread.Start|}(); }")]
    // A thread started where it is created, and a static helper of the same class.
    [InlineData(
        "void Connect() { using var connect = Source.StartActivity(\"connect\"); {|#0:Watcher.Spawn|}(); }",
        "public static void Spawn() => {|#1:new Thread(() => { }).Start|}();")]
    // A timer created and stored.
    [InlineData(
        "void Connect(Watcher w) { using (Source.StartActivity(\"connect\")) { {|#0:w.Start|}(); } }",
        "public void Start() { timer = {|#1:new Timer(_ => { }, null, 0, 1000)|}; }")]
    public async Task Method_that_starts_long_lived_work_inside_a_span(string caller, string callee)
    {
        await Verify.VerifyAnalyzerAsync(Code(caller, callee), Verify.Diagnostic("CTX204").WithLocation(0).WithLocation(1).WithArguments(ActivityName(caller)));
    }

    [Fact]
    public async Task A_conditional_start_live_on_one_path()
    {
        await Verify.VerifyAnalyzerAsync(
            Code(
                "void Pause(bool on, bool early) { var paused = on ? Source.StartActivity(\"sending paused\") : null; if (early) { paused?.Stop(); return; } watcher = {|#0:new Watcher()|}; paused?.Stop(); }",
                LoopingConstructor),
            Verify.Diagnostic("CTX204").WithLocation(0).WithLocation(1).WithArguments("paused"));
    }

    [Fact]
    public async Task No_fix_is_offered_for_a_callee_that_starts_the_work()
    {
        var test = Verify.Create();
        test.TestCode = Code(
            "async Task ConnectAsync(Watcher w) { using var connect = Source.StartActivity(\"connect\"); await {|#0:w.StartAsync|}(); }",
            "public async Task StartAsync() { await Task.Yield(); loop = {|#1:Task.Run|}(async () => { while (true) { await TickAsync(); } }); }");
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX204").WithLocation(0).WithLocation(1).WithArguments("connect"));
        test.NoFixOfferedKey = CTX204FireAndForgetOutlivesSpanCodeFix.UseDetachedWorkKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task Main_loop_started_under_an_activity_from_a_helper_of_a_helper()
    {
        // The connect activity comes from a helper that starts through another helper, the callee keeps the main loop's
        // task in a field, and the main loop awaits a receive loop that runs until the connection is closed.
        await Verify.VerifyAnalyzerAsync(
            Code(
                """
                    static Activity? StartClientActivity(string name) => Source.CreateActivity(name, ActivityKind.Client)?.Start();
                    static Activity? OpenConnection(bool reconnect)
                    {
                        var activity = StartClientActivity("connection attempt");
                        return activity;
                    }
                    async Task ConnectAsync(Watcher w)
                    {
                        using Activity? connect = OpenConnection(false);
                        await {|#0:w.OpenAsync|}();
                    }
                """,
                """
                    bool _closed;
                    public async Task OpenAsync() { await Task.Yield(); loop = {|#1:Task.Run|}(MainLoop); }
                    async Task MainLoop() { try { await ReceiveLoopAsync(); } finally { _closed = true; } }
                    async Task ReceiveLoopAsync() { while (false == _closed) { await TickAsync(); } }
                """),
            Verify.Diagnostic("CTX204").WithLocation(0).WithLocation(1).WithArguments("connect"));
    }

    [Fact]
    public async Task Periodic_timer_loop_created_inside_a_span()
    {
        // A circuit watcher created while a "sending paused" span is current pings on a PeriodicTimer until reconnected.
        await Verify.VerifyAnalyzerAsync(
            Code(
                "async Task PauseAsync() { using var paused = Source.StartActivity(\"sending paused\"); await Task.Yield(); watcher ??= {|#0:new Watcher(cts: default)|}; }",
                "public Watcher(CancellationToken cts) { loop = {|#1:Task.Run|}(PingAsync, cts); } async Task PingAsync() { using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1)); while (await timer.WaitForNextTickAsync(cts.Token)) { await TickAsync(); } }"),
            Verify.Diagnostic("CTX204").WithLocation(0).WithLocation(1).WithArguments("paused"));
    }

    [Theory]
    // A loop over a flag that is not about the object's life, or over a local: it ends with its work.
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); }", "bool _more = true; public Watcher() { loop = Task.Run(async () => { while (_more) { await TickAsync(); } }); }")]
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); }", "public Watcher() { loop = Task.Run(async () => { var closed = false; while (!closed) { await TickAsync(); closed = true; } }); }")]
    // A helper that returns an activity it did not start (someone else's) is not a start.
    [InlineData("static Activity? Parent() => Activity.Current?.Parent; void Pause() { using var paused = Parent(); watcher = new Watcher(); }", LoopingConstructor)]
    public async Task Silent_loops_and_helpers(string caller, string callee)
    {
        await Verify.VerifyAnalyzerAsync(Code(caller, callee));
    }

    // ------------------------------------------------------------------ silent look-alikes

    [Theory]
    // The activity ended before the call, on every path (a conditional start disposed on every path).
    [InlineData("void Pause(bool on) { using (on ? Source.StartActivity(\"paused\") : null) { Work(); } watcher = new Watcher(); }", LoopingConstructor)]
    [InlineData("void Pause(bool x) { var paused = Source.StartActivity(\"paused\"); if (x) { paused?.Stop(); } else { paused?.Dispose(); } watcher = new Watcher(); }", LoopingConstructor)]
    // The watcher is disposed before the span ends (a using that ends first, an explicit Dispose/Stop).
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); using var w = new Watcher(); Work(); }", LoopingConstructor)]
    [InlineData("void Pause() { var paused = Source.StartActivity(\"paused\"); var w = new Watcher(); Work(); w.Dispose(); paused?.Stop(); }", LoopingConstructor)]
    // The loop is cancelled before the span ends.
    [InlineData(
        "void Pause() { using var paused = Source.StartActivity(\"paused\"); using var cts = new CancellationTokenSource(); var w = new Watcher(cts.Token); Work(); cts.Cancel(); }",
        "public Watcher(CancellationToken ct) { Task.Run(async () => { while (!ct.IsCancellationRequested) { await TickAsync(); } }); }")]
    // The callee awaits its loop, returns it, or keeps it in a local it observes: the caller's task rules judge it.
    [InlineData("async Task Pause(Watcher w) { using var paused = Source.StartActivity(\"paused\"); await w.RunAsync(); }", "public async Task RunAsync() { await Task.Run(async () => { while (true) { await TickAsync(); } }); }")]
    [InlineData("async Task Pause(Watcher w) { using var paused = Source.StartActivity(\"paused\"); await w.RunAsync(); }", "public Task RunAsync() => Task.Run(async () => { while (true) { await TickAsync(); } });")]
    // Work that ends (no endless loop), a System.Timers.Timer-like interval, a timer kept in a local.
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); }", "public Watcher() { loop = Task.Run(() => TickAsync()); }")]
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); }", "public Watcher() { var t = new Timer(_ => { }, null, 0, 1000); t.Dispose(); }")]
    // A thread the callee joins before it returns.
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); }", "public Watcher() { var t = new Thread(() => { while (true) { } }); t.Start(); t.Join(); }")]
    // The callee suppresses flow or starts its work as a fresh root.
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); }", "public Watcher() { using (ExecutionContext.SuppressFlow()) { loop = Task.Run(async () => { while (true) { await TickAsync(); } }); } }")]
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); }", "public Watcher() { var previous = Activity.Current; Activity.Current = null; try { loop = Task.Run(async () => { while (true) { await TickAsync(); } }); } finally { Activity.Current = previous; } }")]
    // The call is under suppressed flow in the caller, or outside any span.
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); using (ExecutionContext.SuppressFlow()) { watcher = new Watcher(); } }", LoopingConstructor)]
    [InlineData("void Pause() { watcher = new Watcher(); using var paused = Source.StartActivity(\"paused\"); Work(); }", LoopingConstructor)]
    // The loop is only defined in a lambda the callee never runs.
    [InlineData("void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); }", "public Watcher() { Action start = () => Task.Run(async () => { while (true) { await TickAsync(); } }); }")]
    public async Task Silent(string caller, string callee)
    {
        await Verify.VerifyAnalyzerAsync(Code(caller, callee));
    }

    [Fact]
    public async Task Half_typed_callee_does_not_crash()
    {
        await CrashVerifier.AssertNoCrashAsync(Code(
            "void Pause() { using var paused = Source.StartActivity(\"paused\"); watcher = new Watcher(); Missing(); new Nope(); }",
            "public Watcher() { Task.Run(async () => { while ( { await TickAsync(); } }); thread = new Thread(; thread.Start(; timer = new Timer(; }"));
    }

    private static string ActivityName(string caller)
    {
        var start = caller.IndexOf("var ", System.StringComparison.Ordinal);
        return start < 0 ? "connect" : caller.Substring(start + 4, caller.IndexOf(' ', start + 4) - start - 4);
    }
}
