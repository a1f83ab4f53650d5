using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Benchmarks;

/// <summary>
/// Each runtime helper against the code a careful developer writes by hand with the raw API (the baseline of its
/// category). Target: at most 1.1x the time and no allocation beyond what OpenTelemetry itself allocates.
/// In-process toolchain: no separate benchmark build (this machine is slow and shared).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(Config))]
public class RuntimeHelperBenchmarks
{
    private const string SourceName = "ContextAnalyzers.Benchmarks";
    private static readonly ActivitySource Source = new(SourceName);
    private static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
    private static readonly Action<Dictionary<string, string>, string, string> Setter = static (c, k, v) => c[k] = v;
    private static readonly Func<Dictionary<string, string>, string, IEnumerable<string>> Getter = static (c, k) => c.TryGetValue(k, out var v) ? new[] { v } : Array.Empty<string>();

    private ActivityListener? listener;
    private Activity? parent;
    private Activity? other;
    private Dictionary<string, string> headers = new();
    private Dictionary<string, string> carrier = new();
    private ContextSnapshot snapshot;
    private Baggage baggage;
    private int sink;

    [GlobalSetup]
    public void Setup()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        parent = Source.StartActivity("parent");
        other = new Activity("other").Start();
        Activity.Current = parent;
        baggage = Baggage.Create(new Dictionary<string, string> { ["tenant.id"] = "contoso", ["region"] = "eu-west" });
        Baggage.Current = baggage;
        snapshot = ContextSnapshot.Capture();
        Propagator.Inject(new PropagationContext(parent!.Context, baggage), headers, Setter);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        other?.Stop();
        parent?.Stop();
        listener?.Dispose();
    }

    // ------------------------------------------------------------ baggage scope

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("SetBaggage scope")]
    public int Raw_save_set_try_finally_restore()
    {
        var previous = Baggage.Current;
        Baggage.SetBaggage("step", "one");
        try
        {
            return Work();
        }
        finally
        {
            Baggage.Current = previous;
        }
    }

    /// <summary>
    /// The hand-written code with the helper's semantics: the naive baseline above mutates the baggage holder shared with
    /// the parent flow and its other children (the change leaks to them while the scope is open); cutting loose from it
    /// takes one more context write (<c>RuntimeContext.SetValue("otel.baggage", null)</c>) and a fresh holder.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("SetBaggage scope")]
    public int Raw_isolating_save_set_try_finally_restore()
    {
        var next = Baggage.Current.SetBaggage("step", "one");
        var previousHolder = RuntimeContext.GetValue("otel.baggage");
        RuntimeContext.SetValue("otel.baggage", null);
        Baggage.Current = next;
        try
        {
            return Work();
        }
        finally
        {
            RuntimeContext.SetValue("otel.baggage", previousHolder);
        }
    }

    [Benchmark]
    [BenchmarkCategory("SetBaggage scope")]
    public int ContextScope_SetBaggage()
    {
        using (ContextScope.SetBaggage("step", "one"))
        {
            return Work();
        }
    }

    // ------------------------------------------------------------ activity scope

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Activate scope")]
    public int Raw_save_activate_try_finally_restore()
    {
        var previous = Activity.Current;
        Activity.Current = other;
        try
        {
            return Work();
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    [Benchmark]
    [BenchmarkCategory("Activate scope")]
    public int ContextScope_Activate()
    {
        using (ContextScope.Activate(other))
        {
            return Work();
        }
    }

    // ------------------------------------------------------------ snapshot run

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Snapshot run (sync)")]
    public int Raw_install_captured_activity_and_baggage()
    {
        var previousActivity = Activity.Current;
        var previousBaggage = Baggage.Current;
        Activity.Current = parent;
        Baggage.Current = baggage;
        try
        {
            return Work();
        }
        finally
        {
            Baggage.Current = previousBaggage;
            Activity.Current = previousActivity;
        }
    }

    /// <summary>The hand-written code with the helper's semantics: the captured baggage in a holder of its own.</summary>
    [Benchmark]
    [BenchmarkCategory("Snapshot run (sync)")]
    public int Raw_install_captured_activity_and_isolated_baggage()
    {
        var previousActivity = Activity.Current;
        var previousHolder = RuntimeContext.GetValue("otel.baggage");
        Activity.Current = parent;
        RuntimeContext.SetValue("otel.baggage", null);
        Baggage.Current = baggage;
        try
        {
            return Work();
        }
        finally
        {
            RuntimeContext.SetValue("otel.baggage", previousHolder);
            Activity.Current = previousActivity;
        }
    }

    [Benchmark]
    [BenchmarkCategory("Snapshot run (sync)")]
    public int ContextSnapshot_Run() => snapshot.Run(Work);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Snapshot run (thread pool)")]
    public async Task<int> Raw_Task_Run()
    {
        return await Task.Run(Work);
    }

    [Benchmark]
    [BenchmarkCategory("Snapshot run (thread pool)")]
    public async Task<int> Task_Run_of_ContextSnapshot_Run()
    {
        var captured = ContextSnapshot.Capture();
        return await Task.Run(() => captured.Run(Work));
    }

    // ------------------------------------------------------------ carriers

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Inject")]
    public int Raw_Inject()
    {
        carrier.Clear();
        Propagator.Inject(new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current), carrier, Setter);
        return carrier.Count;
    }

    [Benchmark]
    [BenchmarkCategory("Inject")]
    public int Carriers_InjectCurrent()
    {
        carrier.Clear();
        Propagator.InjectCurrent(carrier);
        return carrier.Count;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Extract")]
    public bool Raw_Extract() => Propagator.Extract(default, headers, Getter).ActivityContext.IsValid();

    [Benchmark]
    [BenchmarkCategory("Extract")]
    public bool Carriers_Extract() => Propagator.Extract((IEnumerable<KeyValuePair<string, string>>)headers).ActivityContext.IsValid();

    private int Work() => ++sink;

    internal sealed class Config : ManualConfig
    {
        public Config()
        {
            // 20 measured iterations after 5 warm-up ones (ShortRun's 3 gave error bars larger than the differences).
            AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(20).WithToolchain(InProcessEmitToolchain.Instance));
        }
    }
}

/// <summary>
/// The cost of strict mode (<see cref="StrictMode"/>, <see cref="ContextGuard"/>): off must equal the plain code (nothing
/// stays registered once the last guard is disposed, and the helpers' hot paths never look at it); on, the cost per
/// activity (listener, weak table, start stack trace) and per scope (nothing: scopes are checked only on a mismatch).
/// <c>dotnet run -c Release --project tests/ContextAnalyzers.Benchmarks -- runtime --filter *StrictMode*</c>
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(RuntimeHelperBenchmarks.Config))]
public class StrictModeBenchmarks
{
    private const string SourceName = "ContextAnalyzers.Benchmarks.Strict";
    private static readonly ActivitySource Source = new(SourceName);

    private ActivityListener? listener;
    private IDisposable? strict;

    [GlobalSetup(Targets = new[] { nameof(Activity_plain), nameof(Scope_plain) })]
    public void SetupPlain() => Listen();

    [GlobalSetup(Targets = new[] { nameof(Activity_strict_off), nameof(Scope_strict_off) })]
    public void SetupOff()
    {
        Listen();

        // Strict mode was on (a guard, then the whole process) and is off again: nothing of it must remain.
        ContextGuard.Begin(new StrictModeOptions { ThrowFromGuard = false }).Dispose();
        StrictMode.Enable().Dispose();
    }

    [GlobalSetup(Targets = new[] { nameof(Activity_strict_on), nameof(Scope_strict_on) })]
    public void SetupOn()
    {
        Listen();
        strict = StrictMode.Enable(new StrictModeOptions { ThrowFromGuard = false });
    }

    [GlobalSetup(Targets = new[] { nameof(Activity_strict_on_without_stack_traces) })]
    public void SetupOnWithoutStackTraces()
    {
        Listen();
        strict = StrictMode.Enable(new StrictModeOptions { ThrowFromGuard = false, CaptureStackTraces = false });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        strict?.Dispose();
        strict = null;
        listener?.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Activity start+stop")]
    public bool Activity_plain() => StartStop();

    [Benchmark]
    [BenchmarkCategory("Activity start+stop")]
    public bool Activity_strict_off() => StartStop();

    [Benchmark]
    [BenchmarkCategory("Activity start+stop")]
    public bool Activity_strict_on() => StartStop();

    [Benchmark]
    [BenchmarkCategory("Activity start+stop")]
    public bool Activity_strict_on_without_stack_traces() => StartStop();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ContextScope set+dispose")]
    public int Scope_plain() => Scope();

    [Benchmark]
    [BenchmarkCategory("ContextScope set+dispose")]
    public int Scope_strict_off() => Scope();

    [Benchmark]
    [BenchmarkCategory("ContextScope set+dispose")]
    public int Scope_strict_on() => Scope();

    private static bool StartStop()
    {
        using var activity = Source.StartActivity("work");
        return activity is not null;
    }

    private static int Scope()
    {
        using var scope = ContextScope.SetBaggage("step", "one");
        return Baggage.Current.Count;
    }

    private void Listen()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
    }
}
