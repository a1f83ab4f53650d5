using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX201WorkQueuedWithoutExecutionContextAnalyzer,
    ContextAnalyzers.Rules.CTX201WorkQueuedWithoutExecutionContextCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// CTX201 (c) through an object: the caller's delegate is stored in the work item or the callback's state, the object is
/// queued on a hop that does not flow the ExecutionContext, and the code on the hop invokes the stored delegate.
/// </summary>
public class CTX201StoredCallerDelegateTests
{
    private const string Api = "ThreadPool.UnsafeQueueUserWorkItem";

    private static string Stored(string member) => "Work started by '" + Api + "' runs without the execution context, but the work runs a delegate supplied by the caller and stored in '" + member + "'";

    private static string Code(string types, bool runtime = false) => $$"""
        using System;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;
        {{(runtime ? "using ContextAnalyzers.Runtime;\n" : string.Empty)}}
        {{types}}
        """;

    // ------------------------------------------------------------------ flagged

    [Fact]
    public async Task Work_item_queues_itself_after_storing_the_callers_factory()
    {
        // A stampede-protection state: the caller's factory is stored, the state queues itself, and Execute runs the
        // factory (through a helper) with no Activity.Current and no baggage.
        await Verify.VerifyAnalyzerAsync(
            Code("""
                abstract class Stampede : IThreadPoolWorkItem
                {
                    public abstract void Execute();
                }

                sealed class Stampede<TState, T> : Stampede
                {
                    private TState? _state;
                    private Func<TState, CancellationToken, ValueTask<T>>? _underlying;

                    public void Queue(in TState state, Func<TState, CancellationToken, ValueTask<T>> underlying)
                    {
                        _state = state;
                        _underlying = underlying;
                        {|#0:ThreadPool.UnsafeQueueUserWorkItem|}(this, false);
                    }

                    public override void Execute() => _ = FetchAsync();

                    private async Task FetchAsync()
                    {
                        T value = await {|#1:_underlying!(_state!, CancellationToken.None)|};
                        GC.KeepAlive(value);
                    }
                }
                """),
            Verify.Diagnostic("CTX201").WithLocation(0).WithLocation(1).WithMessage(Stored("_underlying")));
    }

    [Fact]
    public async Task State_handed_to_a_shared_static_callback()
    {
        await Verify.VerifyAnalyzerAsync(
            Code("""
                class Job
                {
                    private static readonly WaitCallback Shared = static obj => ((Job)obj!).Run();
                    private Action? _onDone;

                    public void Start(Action onDone)
                    {
                        _onDone = onDone;
                        {|#0:ThreadPool.UnsafeQueueUserWorkItem|}(Shared, this);
                    }

                    private void Run() => {|#1:_onDone?.Invoke()|};
                }
                """),
            Verify.Diagnostic("CTX201").WithLocation(0).WithLocation(1).WithMessage(Stored("_onDone")));
    }

    [Theory]
    // A state object built with the caller's delegate (initializer, member assignment, constructor that stores it).
    [InlineData(
        "void Start(Action onDone) => {|#0:ThreadPool.UnsafeQueueUserWorkItem|}(static s => {|#1:s.Callback!()|}, new Job { Callback = onDone }, preferLocal: false);",
        "Callback?.Invoke()", "_onDone()", "Callback")]
    [InlineData(
        "void Start(Action onDone) { var job = new Job(); job.Callback = onDone; {|#0:ThreadPool.UnsafeQueueUserWorkItem|}(static s => s.Run(), job, preferLocal: false); }",
        "{|#1:Callback?.Invoke()|}", "_onDone()", "Callback")]
    [InlineData(
        "void Start(Action onDone) { var job = new Job(onDone); {|#0:ThreadPool.UnsafeQueueUserWorkItem|}(job, preferLocal: false); }",
        "Callback?.Invoke()", "{|#1:_onDone()|}", "_onDone")]
    [InlineData(
        "void Start(Action onDone) => {|#0:ThreadPool.UnsafeQueueUserWorkItem|}(new Job(onDone), false);",
        "Callback?.Invoke()", "{|#1:_onDone()|}", "_onDone")]
    public async Task State_object_carries_the_callers_delegate(string caller, string run, string execute, string member)
    {
        await Verify.VerifyAnalyzerAsync(
            Code($$"""
                class Job : IThreadPoolWorkItem
                {
                    private readonly Action _onDone = () => { };
                    public Job() { }
                    public Job(Action onDone) { _onDone = onDone; }
                    public Action? Callback { get; set; }
                    public void Run() => {{run}};
                    public void Execute() => {{execute}};
                }

                class Owner
                {
                    {{caller}}
                }
                """),
            Verify.Diagnostic("CTX201").WithLocation(0).WithLocation(1).WithMessage(Stored(member)));
    }

    // ------------------------------------------------------------------ silent look-alikes

    private const string WorkItem = """
        class Job : IThreadPoolWorkItem
        {
            private Action? _callback;
            private ExecutionContext? _context;
            private static void Tick() { }
            public void Complete() => _callback?.Invoke();
        {0}
        }
        """;

    [Theory]
    // The stored delegate is the library's own callback, not the caller's.
    [InlineData("public void Start() { _callback = Tick; ThreadPool.UnsafeQueueUserWorkItem(this, false); } public void Execute() => _callback!();")]
    [InlineData("public void Start(Action onDone) { _callback = () => Tick(); ThreadPool.UnsafeQueueUserWorkItem(this, false); onDone(); } public void Execute() => _callback!();")]
    // The caller's context is captured into the state and the delegate runs under ExecutionContext.Run.
    [InlineData("public void Start(Action onDone) { _callback = onDone; _context = ExecutionContext.Capture(); ThreadPool.UnsafeQueueUserWorkItem(this, false); } public void Execute() => ExecutionContext.Run(_context!, static s => ((Job)s!)._callback!(), this);")]
    // The safe queue flows the ExecutionContext.
    [InlineData("public void Start(Action onDone) { _callback = onDone; ThreadPool.QueueUserWorkItem(static s => s.Execute(), this, false); } public void Execute() => _callback!();")]
    // The stored delegate is not run on the hop: the queued work does something else.
    [InlineData("public void Start(Action onDone) { _callback = onDone; ThreadPool.UnsafeQueueUserWorkItem(this, false); } public void Execute() => Tick();")]
    // Another object is queued than the one holding the delegate.
    [InlineData("public void Start(Action onDone) { _callback = onDone; ThreadPool.UnsafeQueueUserWorkItem(new Job(), false); } public void Execute() => _callback?.Invoke();")]
    public async Task Silent(string members)
    {
        await Verify.VerifyAnalyzerAsync(Code(WorkItem.Replace("{0}", members, System.StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Silent_when_the_callback_runs_under_a_snapshot()
    {
        await Verify.VerifyAnalyzerAsync(Code(
            WorkItem.Replace("{0}", "private static readonly WaitCallback Shared = static s => ((Job)s!).Execute(); public void Start(Action onDone) { _callback = onDone; ThreadPool.UnsafeQueueUserWorkItem(ContextSnapshot.Capture().Wrap(Shared), this); } public void Execute() => _callback!();", System.StringComparison.Ordinal),
            runtime: true));
    }

    // ------------------------------------------------------------------ fixes

    [Fact]
    public async Task Fix_switches_the_state_form_to_the_flowing_api()
    {
        const string Members = "private static readonly WaitCallback Shared = static s => ((Job)s!).Execute(); public void Start(Action onDone) { _callback = onDone; QUEUE(Shared, this); } public void Execute() => _callback!();";
        await Verify.VerifyCodeFixAsync(
            Code(WorkItem.Replace("{0}", Members.Replace("QUEUE", "[|ThreadPool.UnsafeQueueUserWorkItem|]", System.StringComparison.Ordinal), System.StringComparison.Ordinal)),
            Code(WorkItem.Replace("{0}", Members.Replace("QUEUE", "ThreadPool.QueueUserWorkItem", System.StringComparison.Ordinal), System.StringComparison.Ordinal)),
            CTX201WorkQueuedWithoutExecutionContextCodeFix.UseFlowingApiKey);
    }

    [Fact]
    public async Task Fix_wraps_the_state_callback_with_a_snapshot()
    {
        const string Members = "private static readonly WaitCallback Shared = static s => ((Job)s!).Execute(); public void Start(Action onDone) { _callback = onDone; {0}; } public void Execute() => _callback!();";
        await Verify.VerifyCodeFixAsync(
            Code(WorkItem.Replace("{0}", Members.Replace("{0}", "[|ThreadPool.UnsafeQueueUserWorkItem|](Shared, this)", System.StringComparison.Ordinal), System.StringComparison.Ordinal)),
            Code(WorkItem.Replace("{0}", Members.Replace("{0}", "ThreadPool.UnsafeQueueUserWorkItem(ContextSnapshot.Capture().Wrap(Shared), this)", System.StringComparison.Ordinal), System.StringComparison.Ordinal), runtime: true),
            CTX201WorkQueuedWithoutExecutionContextCodeFix.WrapWithSnapshotKey);
    }

    [Fact]
    public async Task No_flowing_api_fix_for_a_work_item_queued_as_itself()
    {
        // QueueUserWorkItem has no IThreadPoolWorkItem overload: switching the name would not compile.
        var test = Verify.Create();
        test.TestCode = Code(WorkItem.Replace("{0}", "public void Start(Action onDone) { _callback = onDone; {|#0:ThreadPool.UnsafeQueueUserWorkItem|}(this, false); } public void Execute() => {|#1:_callback!()|};", System.StringComparison.Ordinal));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX201").WithLocation(0).WithLocation(1).WithMessage(Stored("_callback")));
        test.NoFixOfferedKey = CTX201WorkQueuedWithoutExecutionContextCodeFix.UseFlowingApiKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task Half_typed_work_item_does_not_crash()
    {
        await CrashVerifier.AssertNoCrashAsync(Code(
            "class Job : IThreadPoolWorkItem { Action? _cb; public void Start(Action onDone) { _cb = onDone; ThreadPool.UnsafeQueueUserWorkItem(this, ); ThreadPool.UnsafeQueueUserWorkItem(Missing, this); new Nope(onDone); } public void Execute() => _cb!(; }"));
    }
}
