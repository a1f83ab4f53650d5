using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX201WorkQueuedWithoutExecutionContextAnalyzer,
    ContextAnalyzers.Rules.CTX201WorkQueuedWithoutExecutionContextCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX201's region fix: capture a ContextSnapshot before SuppressFlow() and run the work started in the region under it.</summary>
public class CTX201WorkQueuedWithoutExecutionContextCodeFixTests
{
    private const string Key = CTX201WorkQueuedWithoutExecutionContextCodeFix.CaptureSnapshotBeforeSuppressFlowKey;

    private static string Code(string members, bool runtime = false) => $$"""
        using System;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;{{(runtime ? "\nusing ContextAnalyzers.Runtime;" : "")}}
        using OpenTelemetry;

        class C
        {
            static readonly ActivitySource Source = new("S");
            static void Work() { }
            static Task WorkAsync() => Task.CompletedTask;
            static void Log(object? o) { }
        {{members}}
        }
        """;

    [Fact]
    public async Task Using_statement_with_a_lambda()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                void M()
                {
                    Work();

                    // Keep the other AsyncLocals out of the background work.
                    using ([|ExecutionContext.SuppressFlow|]())
                    {
                        Task.Run(() => Log(Activity.Current)); // trailing
                    }
                }
            """),
            Code("""
                void M()
                {
                    Work();

                    var snapshot = ContextSnapshot.Capture();
                    // Keep the other AsyncLocals out of the background work.
                    using (ExecutionContext.SuppressFlow())
                    {
                        Task.Run(snapshot.Wrap(() => Log(Activity.Current))); // trailing
                    }
                }
            """, runtime: true),
            Key);
    }

    [Theory]
    // using var: a method group under a live activity.
    [InlineData(
        "void M() { using var activity = Source.StartActivity(\"handle\"); using var _ = [|ExecutionContext.SuppressFlow|](); Task.Run(Work); }",
        "void M() { using var activity = Source.StartActivity(\"handle\"); var snapshot = ContextSnapshot.Capture(); using var _ = ExecutionContext.SuppressFlow(); Task.Run(snapshot.Wrap(Work)); }")]
    // An async method group keeps its Func<Task> overload.
    [InlineData(
        "void M() { using var activity = Source.StartActivity(\"handle\"); using var _ = [|ExecutionContext.SuppressFlow|](); Task.Run(WorkAsync); }",
        "void M() { using var activity = Source.StartActivity(\"handle\"); var snapshot = ContextSnapshot.Capture(); using var _ = ExecutionContext.SuppressFlow(); Task.Run(() => snapshot.RunAsync(WorkAsync)); }")]
    // A value-returning lambda keeps Task.Run<T>(Func<T>).
    [InlineData(
        "Task<string?> M() { using ([|ExecutionContext.SuppressFlow|]()) { return Task.Run(() => Activity.Current?.Id); } }",
        "Task<string?> M() { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { return Task.Run(() => snapshot.Run(() => Activity.Current?.Id)); } }")]
    // The caller's delegate, handed to QueueUserWorkItem (WaitCallback).
    [InlineData(
        "void M(Action callback) { using ([|ExecutionContext.SuppressFlow|]()) { ThreadPool.QueueUserWorkItem(_ => callback()); } }",
        "void M(Action callback) { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { ThreadPool.QueueUserWorkItem(snapshot.Wrap(_ => callback())); } }")]
    // QueueUserWorkItem<TState>(Action<TState>, TState, bool): an implicitly typed lambda needs Wrap<TState>.
    [InlineData(
        "void M(Action<int> callback) { using ([|ExecutionContext.SuppressFlow|]()) { ThreadPool.QueueUserWorkItem(n => callback(n), 42, preferLocal: false); } }",
        "void M(Action<int> callback) { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { ThreadPool.QueueUserWorkItem(snapshot.Wrap<int>(n => callback(n)), 42, preferLocal: false); } }")]
    // Thread(ThreadStart): the Action wrapper's Invoke.
    [InlineData(
        "void M() { using ([|ExecutionContext.SuppressFlow|]()) { new Thread(() => Log(Activity.Current)).Start(); } }",
        "void M() { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { new Thread(snapshot.Wrap(() => Log(Activity.Current)).Invoke).Start(); } }")]
    // Thread(ParameterizedThreadStart) through a local created in the region.
    [InlineData(
        "void M() { using ([|ExecutionContext.SuppressFlow|]()) { var t = new Thread(o => Log(Baggage.Current)); t.Start(1); } }",
        "void M() { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { var t = new Thread(snapshot.Wrap(o => Log(Baggage.Current)).Invoke); t.Start(1); } }")]
    // CancellationToken.Register(Action<object?>, object?).
    [InlineData(
        "void M(CancellationToken ct) { using ([|ExecutionContext.SuppressFlow|]()) { ct.Register(s => Log(Activity.Current), null); } }",
        "void M(CancellationToken ct) { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { ct.Register(snapshot.Wrap<object?>(s => Log(Activity.Current)), null); } }")]
    // A thread started twice (the second start throws, but the code compiles): one callback, wrapped once.
    [InlineData(
        "void M() { using ([|ExecutionContext.SuppressFlow|]()) { var t = new Thread(() => Log(Activity.Current)); t.Start(); t.Start(); } }",
        "void M() { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { var t = new Thread(snapshot.Wrap(() => Log(Activity.Current)).Invoke); t.Start(); t.Start(); } }")]
    // Where nullable annotations are off, the state type is written without '?'.
    [InlineData(
        "#nullable disable\n    void M(CancellationToken ct) { using ([|ExecutionContext.SuppressFlow|]()) { ct.Register(s => Log(Activity.Current), null); } }\n#nullable restore",
        "#nullable disable\n    void M(CancellationToken ct) { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { ct.Register(snapshot.Wrap<object>(s => Log(Activity.Current)), null); } }\n#nullable restore")]
    // TaskFactory.StartNew with an async lambda keeps Func<Task> (Task<Task>), not async void.
    [InlineData(
        "void M() { using ([|ExecutionContext.SuppressFlow|]()) { Task.Factory.StartNew(async () => { await Task.Yield(); Log(Activity.Current); }, TaskCreationOptions.LongRunning); } }",
        "void M() { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { Task.Factory.StartNew(() => snapshot.RunAsync(async () => { await Task.Yield(); Log(Activity.Current); }), TaskCreationOptions.LongRunning); } }")]
    // The generated corpus's shape: a caller's Func<Task>, the flow undone without a finally.
    [InlineData(
        "Task M(Func<Task> work) { var flow = [|ExecutionContext.SuppressFlow|](); var task = Task.Run(work); flow.Undo(); return task; }",
        "Task M(Func<Task> work) { var snapshot = ContextSnapshot.Capture(); var flow = ExecutionContext.SuppressFlow(); var task = Task.Run(() => snapshot.RunAsync(work)); flow.Undo(); return task; }")]
    // A region inside a lambda and inside a local function: the snapshot stays in that function.
    [InlineData(
        "Action M() => () => { using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => Log(Activity.Current)); } };",
        "Action M() => () => { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { Task.Run(snapshot.Wrap(() => Log(Activity.Current))); } };")]
    [InlineData(
        "void M() { Start(); void Start() { using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => Log(Activity.Current)); } } }",
        "void M() { Start(); void Start() { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { Task.Run(snapshot.Wrap(() => Log(Activity.Current))); } } }")]
    // An embedded suppression: the snapshot goes before the statement that holds it.
    [InlineData(
        "void M(bool b) { if (b) using ([|ExecutionContext.SuppressFlow|]()) Task.Run(() => Log(Activity.Current)); }",
        "void M(bool b) { var snapshot = ContextSnapshot.Capture(); if (b) using (ExecutionContext.SuppressFlow()) Task.Run(snapshot.Wrap(() => Log(Activity.Current))); }")]
    public async Task Wraps_every_callback_of_the_region(string before, string after)
    {
        await Verify.VerifyCodeFixAsync(Code(before), Code(after, runtime: true), Key);
    }

    [Fact]
    public async Task The_docs_example()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                Task? pump;
                System.Threading.Channels.ChannelReader<string> reader = null!;
                static void Warm() { }

                public void StartPump(Action<string> onMessage)
                {
                    using var activity = Source.StartActivity("pump.start");
                    // Do not capture the caller's AsyncLocals in the pump.
                    using ([|ExecutionContext.SuppressFlow|]())
                    {
                        // (b) and (c): the request's work, and the caller's delegate, run without its context.
                        pump = Task.Run(async () =>
                        {
                            await foreach (var message in reader.ReadAllAsync())
                            {
                                onMessage(message);
                            }
                        });
                        ThreadPool.QueueUserWorkItem(_ => Warm());
                    }
                }
            """),
            Code("""
                Task? pump;
                System.Threading.Channels.ChannelReader<string> reader = null!;
                static void Warm() { }

                public void StartPump(Action<string> onMessage)
                {
                    using var activity = Source.StartActivity("pump.start");
                    var snapshot = ContextSnapshot.Capture();
                    // Do not capture the caller's AsyncLocals in the pump.
                    using (ExecutionContext.SuppressFlow())
                    {
                        // (b) and (c): the request's work, and the caller's delegate, run without its context.
                        pump = Task.Run(() => snapshot.RunAsync(async () =>
                        {
                            await foreach (var message in reader.ReadAllAsync())
                            {
                                onMessage(message);
                            }
                        }));
                        ThreadPool.QueueUserWorkItem(snapshot.Wrap(_ => Warm()));
                    }
                }
            """, runtime: true),
            Key);
    }

    [Fact]
    public async Task Undo_in_finally_with_an_async_lambda()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                Task M()
                {
                    var flow = [|ExecutionContext.SuppressFlow|]();
                    try
                    {
                        return Task.Run(async () =>
                        {
                            await Task.Delay(10);
                            Log(Activity.Current);
                        });
                    }
                    finally
                    {
                        flow.Undo();
                    }
                }
            """),
            Code("""
                Task M()
                {
                    var snapshot = ContextSnapshot.Capture();
                    var flow = ExecutionContext.SuppressFlow();
                    try
                    {
                        return Task.Run(() => snapshot.RunAsync(async () =>
                        {
                            await Task.Delay(10);
                            Log(Activity.Current);
                        }));
                    }
                    finally
                    {
                        flow.Undo();
                    }
                }
            """, runtime: true),
            Key);
    }

    [Fact]
    public async Task RestoreFlow_in_finally_and_a_conditional_suppression()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                Task? loop;

                void Start(Action<string> onTick)
                {
                    bool restoreFlow = false;
                    try
                    {
                        if (!ExecutionContext.IsFlowSuppressed())
                        {
                            [|ExecutionContext.SuppressFlow|]();
                            restoreFlow = true;
                        }

                        /* the loop must not capture the request's AsyncLocals */
                        loop = Task.Run(() => onTick("tick"));
                        ThreadPool.QueueUserWorkItem(_ => Log(Baggage.Current));
                    }
                    finally
                    {
                        if (restoreFlow)
                        {
                            ExecutionContext.RestoreFlow();
                        }
                    }
                }
            """),
            Code("""
                Task? loop;

                void Start(Action<string> onTick)
                {
                    bool restoreFlow = false;
                    try
                    {
                        var snapshot = ContextSnapshot.Capture();
                        if (!ExecutionContext.IsFlowSuppressed())
                        {
                            ExecutionContext.SuppressFlow();
                            restoreFlow = true;
                        }

                        /* the loop must not capture the request's AsyncLocals */
                        loop = Task.Run(snapshot.Wrap(() => onTick("tick")));
                        ThreadPool.QueueUserWorkItem(snapshot.Wrap(_ => Log(Baggage.Current)));
                    }
                    finally
                    {
                        if (restoreFlow)
                        {
                            ExecutionContext.RestoreFlow();
                        }
                    }
                }
            """, runtime: true),
            Key);
    }

    [Fact]
    public async Task Fix_All_gives_each_region_its_own_snapshot()
    {
        var before = Code("""
                void M(Action a, Action b)
                {
                    var snapshot = 1;
                    using ([|ExecutionContext.SuppressFlow|]())
                    {
                        Task.Run(a);
                    }

                    using ([|ExecutionContext.SuppressFlow|]())
                    {
                        Task.Run(b);
                    }
                }

                void N() { using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => Log(Activity.Current)); } }
            """);
        var after = Code("""
                void M(Action a, Action b)
                {
                    var snapshot = 1;
                    var snapshot1 = ContextSnapshot.Capture();
                    using (ExecutionContext.SuppressFlow())
                    {
                        Task.Run(snapshot1.Wrap(a));
                    }

                    var snapshot2 = ContextSnapshot.Capture();
                    using (ExecutionContext.SuppressFlow())
                    {
                        Task.Run(snapshot2.Wrap(b));
                    }
                }

                void N() { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { Task.Run(snapshot.Wrap(() => Log(Activity.Current))); } }
            """, runtime: true);
        await Verify.VerifyCodeFixAsync(before, after, Key);

        // One Fix All, as the IDE applies it, gives the same.
        var once = await CTX20xFixAllOnePass.ApplyAsync(Verify.Create(), before.Replace("[|", "", StringComparison.Ordinal).Replace("|]", "", StringComparison.Ordinal), Key);
        Assert.Equal(after.ReplaceLineEndings("\n"), once.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Already_wrapped_work_is_left_alone_and_not_reported()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                void M(Action a)
                {
                    var outer = ContextSnapshot.Capture();
                    using ([|ExecutionContext.SuppressFlow|]())
                    {
                        Task.Run(outer.Wrap(a));
                        Task.Run(a);
                    }
                }
            """, runtime: true),
            Code("""
                void M(Action a)
                {
                    var outer = ContextSnapshot.Capture();
                    var snapshot = ContextSnapshot.Capture();
                    using (ExecutionContext.SuppressFlow())
                    {
                        Task.Run(outer.Wrap(a));
                        Task.Run(snapshot.Wrap(a));
                    }
                }
            """, runtime: true),
            Key);
    }

    [Theory]
    // What the fixes write is not reported again, live activity or not.
    [InlineData("void M() { using var a = Source.StartActivity(\"x\"); ThreadPool.UnsafeQueueUserWorkItem(ContextSnapshot.Capture().Wrap(_ => Log(Activity.Current)), null); }")]
    [InlineData("void M() { using var a = Source.StartActivity(\"x\"); var s = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { Task.Run(() => s.RunAsync(WorkAsync)); new Thread(s.Wrap(Work).Invoke).Start(); } }")]
    public async Task Work_under_a_snapshot_is_silent(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member, runtime: true));
    }

    [Fact]
    public async Task A_lambda_that_does_more_than_run_under_the_snapshot_is_still_reported()
    {
        await Verify.VerifyAnalyzerAsync(Code(
            "void M() { var s = ContextSnapshot.Capture(); using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => { Log(Activity.Current); s.Run(Work); }); } }",
            runtime: true));
    }

    // ------------------------------------------------------------------ not offered

    [Fact]
    public async Task Not_offered_without_the_runtime()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Code("void M() { using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => Log(Activity.Current)); } }"),
            Key,
            ReferenceSet.AllButRuntime);
    }

    [Theory]
    // Timers: the suppression keeps the timer from rooting the request; a snapshot would root it again (CTX205).
    [InlineData("Timer? timer; void M() { using var a = Source.StartActivity(\"x\"); using ([|ExecutionContext.SuppressFlow|]()) { timer = new Timer(_ => Work(), null, 1000, 1000); } }")]
    [InlineData("void M(System.Timers.Timer t) { using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => Log(Activity.Current)); t.Start(); } }")]
    // The thread (and its callback) was created before the suppression.
    [InlineData("void M() { var t = new Thread(() => Log(Activity.Current)); using ([|ExecutionContext.SuppressFlow|]()) { t.Start(); } }")]
    // A callback shape ContextSnapshot has no wrapper for (all or nothing: the other work is not wrapped either).
    [InlineData("void M(CancellationToken ct) { using ([|ExecutionContext.SuppressFlow|]()) { Task.Run(() => Log(Activity.Current)); ct.Register((s, t) => Log(Activity.Current), null); } }")]
    [InlineData("void M() { using ([|ExecutionContext.SuppressFlow|]()) { Task.Factory.StartNew(s => Activity.Current, null); } }")]
    public async Task Not_offered_when_a_callback_cannot_be_wrapped(string member)
    {
        await Verify.VerifyNoCodeFixOfferedAsync(Code(member), Key);
    }

    [Fact]
    public async Task Not_offered_for_an_unsafe_api_diagnostic()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Code("void M() => [|ThreadPool.UnsafeQueueUserWorkItem|](_ => Log(Activity.Current), null);"),
            Key);
    }

    // ------------------------------------------------------------------ robustness

    [Theory]
    [InlineData("void M() { using (ExecutionContext.SuppressFlow()) { Task.Run(() => Log(Activity.Current)); Undefined.Call(; } }")]
    [InlineData("void M() { using (ExecutionContext.SuppressFlow()) { Task.Run(() => Log(Activity.Current)); Task.Run(Undefined); } }")]
    [InlineData("void M() { using (ExecutionContext.SuppressFlow()) { new Thread(() => Log(Activity.Current)).Start(; } }")]
    [InlineData("void M() { using (ExecutionContext.SuppressFlow()) { ThreadPool.QueueUserWorkItem(_ => Log(Activity.Current)); var x = ; } }")]
    [InlineData("void M() { var snapshot = ContextSnapshot.Capture(); using (ExecutionContext.SuppressFlow()) { Task.Run(() => Log(Activity.Current)) } }")]
    public async Task Half_typed_regions_do_not_crash_the_fix(string member)
    {
        var test = Verify.Create();
        var project = test.CreateProject(new[] { Code(member, runtime: true) });
        var document = project.Documents.Single();
        var diagnostics = (await test.GetAllDiagnosticsAsync(project, CancellationToken.None)).Where(d => d.Id == "CTX201").ToList();
        Assert.NotEmpty(diagnostics);
        foreach (var diagnostic in diagnostics)
        {
            var actions = new List<Microsoft.CodeAnalysis.CodeActions.CodeAction>();
            await test.CodeFix!.RegisterCodeFixesAsync(new Microsoft.CodeAnalysis.CodeFixes.CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
            foreach (var action in actions)
            {
                Assert.NotEmpty(await action.GetOperationsAsync(CancellationToken.None));
            }
        }
    }
}
