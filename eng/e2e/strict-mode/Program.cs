// The strict-mode driver of eng/e2e/strict-mode.sh: runs scenarios of the sample service (samples/ContextAnalyzers.Sample,
// compiled as it is before, or after dotnet format applied the packaged code fixes) each inside a ContextGuard, and
// prints the rule IDs of what strict mode found, one line per scenario:
//   scenario NAME: CTX101 CTX102      (or "none")
// then "findings: ..." with every rule ID of the run. The script compares them with what the analyzers flag.
// Each scenario runs in a flow of its own (Task.Run from Main, which never sets context), so none inherits another's
// baggage holder or activity. Argument --details prints each finding's message.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using ContextAnalyzers.Runtime;
using OpenTelemetry.Trace;
using Shop.Http;
using Shop.Workers;

namespace StrictModeDriver;

public static class Driver
{
    private static readonly ActivityCounter Activities = new();

    public static async Task<int> Main(string[] args)
    {
        var details = args.Contains("--details");
        var all = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, scenario) in Scenarios())
        {
            var findings = await Task.Run(scenario);
            var ids = findings.Select(f => f.RuleId).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToList();
            all.UnionWith(ids);
            Console.WriteLine($"scenario {name}: {(ids.Count == 0 ? "none" : string.Join(' ', ids))}");
            if (details)
            {
                foreach (var finding in findings)
                {
                    Console.WriteLine($"    {finding.RuleId} {finding.Kind}: {finding.Message}");
                }
            }
        }

        Console.WriteLine($"findings: {(all.Count == 0 ? "none" : string.Join(' ', all))}");
        return 0;
    }

    /// <summary>The scenarios: each calls the sample's code as a request, a test or a host would, inside a guard.</summary>
    private static IEnumerable<(string Name, Func<Task<IReadOnlyList<ContextLeakFinding>>> Run)> Scenarios()
    {
        var handler = new OrderHandler(TracerProvider.Default);

        // OrderHandler.Handle: the tenant baggage is never restored (CTX101); the activity is not stopped on the early
        // return and when Price throws (CTX102).
        yield return ("OrderHandler.Handle-empty-order", () => Guarded(
            () => handler.Handle(new OrderRequest("acme", "o-1", Array.Empty<decimal>(), Express: false))));
        yield return ("OrderHandler.Handle-failing-order", () => Guarded(() =>
        {
            try
            {
                handler.Handle(new OrderRequest("acme", "o-2", new[] { 10m, -1m }, Express: false));
            }
            catch (InvalidOperationException)
            {
                // The sample's own validation error: the request fails, the context must still be clean.
            }
        }));

        // OrderHandler.Resume: Activity.Current is left on the resumed activity (CTX101). The span and the parent are
        // handed over by the caller: started before the guard, not current in this flow, ended after it.
        yield return ("OrderHandler.Resume", async () =>
        {
            var span = TracerProvider.Default.GetTracer("Shop.Driver").StartRootSpan("resumed-span");
            var parent = new Activity("resumed-parent").Start();
            Activity.Current = null;
            var findings = await Guarded(() => handler.Resume(span, parent));
            span.End();
            parent.Stop();
            return findings;
        });

        // OrderWorker.Accept in a request: the customer baggage is never restored (CTX101). The work it starts is
        // drained before the guard ends, as a test would.
        yield return ("OrderWorker.Accept", async () =>
        {
            using var worker = new OrderWorker();
            return await Guarded(() => worker.Accept(new OrderWorker.Order(1, "c-1")), Activities.DrainAsync);
        });

        // OrderWorker's consumer, started by a host flow that has baggage, fed by a request flow, then shut down: the
        // consumer runs under the stopped startup span (CTX204), and its last baggage write lands in the holder it shares
        // with the host flow (CTX206).
        yield return ("OrderWorker.Start-consume-stop", async () =>
        {
            using var deployment = ContextScope.SetBaggage("deployment", "e2e");
            using var stop = new CancellationTokenSource();
            using var worker = new OrderWorker();
            var processed = Activities.WaitForStop("order.process");
            return await Guarded(() => worker.Start(stop.Token), async () =>
            {
                await Task.Run(() =>
                {
                    using var request = ContextScope.SetBaggage("request", "r-1");
                    worker.Accept(new OrderWorker.Order(2, "c-2"));
                });
                await processed.WaitAsync(TimeSpan.FromSeconds(10));
                stop.Cancel();
                await Activities.DrainAsync();
            });
        });
    }

    /// <summary>
    /// Runs <paramref name="call"/> inside a guard, then awaits <paramref name="then"/> (background work, a drain), and
    /// returns what the guard's exception reports. The call is synchronous on purpose: an async lambda would hide its
    /// leaks (an async method's ambient changes never reach its caller), as the guard's docs say.
    /// </summary>
    private static async Task<IReadOnlyList<ContextLeakFinding>> Guarded(Action call, Func<Task>? then = null)
    {
        Activities.BeginScenario();
        var guard = ContextGuard.Begin();
        call();
        if (then is not null)
        {
            await then();
        }

        try
        {
            guard.Dispose();
            return Array.Empty<ContextLeakFinding>();
        }
        catch (ContextLeakException exception)
        {
            return exception.Findings;
        }
    }

    /// <summary>
    /// Counts the running activities of the sample per scenario (the flows of one scenario share a counter), so that a
    /// scenario can wait for its background work before its guard ends.
    /// </summary>
    private sealed class ActivityCounter
    {
        private const string Property = "e2e.scenario";
        private readonly AsyncLocal<StrongBox<int>?> scenario = new();
        private readonly object gate = new();
        private readonly List<(string Name, TaskCompletionSource Done)> waiters = new();

        public ActivityCounter()
        {
            ActivitySource.AddActivityListener(new ActivityListener
            {
                ShouldListenTo = source => source.Name.StartsWith("Shop", StringComparison.Ordinal),
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = OnStarted,
                ActivityStopped = OnStopped,
            });
        }

        public void BeginScenario() => scenario.Value = new StrongBox<int>();

        public Task WaitForStop(string name)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (gate)
            {
                waiters.Add((name, done));
            }

            return done.Task;
        }

        /// <summary>Waits until no activity this scenario started runs (at most 10 s: a leak the guard then reports).</summary>
        public async Task DrainAsync()
        {
            var running = scenario.Value;
            var deadline = Stopwatch.StartNew();
            while (running is not null && Volatile.Read(ref running.Value) > 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(10);
            }
        }

        private void OnStarted(Activity activity)
        {
            if (scenario.Value is { } running)
            {
                Interlocked.Increment(ref running.Value);
                activity.SetCustomProperty(Property, running);
            }
        }

        private void OnStopped(Activity activity)
        {
            if (activity.GetCustomProperty(Property) is StrongBox<int> running)
            {
                Interlocked.Decrement(ref running.Value);
            }

            lock (gate)
            {
                for (var i = waiters.Count - 1; i >= 0; i--)
                {
                    if (waiters[i].Name == activity.OperationName)
                    {
                        waiters[i].Done.TrySetResult();
                        waiters.RemoveAt(i);
                    }
                }
            }
        }
    }
}
