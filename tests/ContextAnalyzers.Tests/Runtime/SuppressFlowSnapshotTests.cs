using System.Diagnostics;
using ContextAnalyzers.Runtime;
using OpenTelemetry;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// What CTX201's region fix (CTX201.CaptureSnapshotBeforeSuppressFlow) writes, run on the real assemblies: work started
/// under <c>ExecutionContext.SuppressFlow()</c> through <c>snapshot.Wrap(..)</c>, <c>snapshot.Wrap(..).Invoke</c> and
/// <c>() =&gt; snapshot.RunAsync(..)</c> sees the captured activity and baggage (across awaits), while the suppression
/// still does its job: other AsyncLocals do not flow.
/// </summary>
public class SuppressFlowSnapshotTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private static readonly AsyncLocal<string?> Other = new();

    [Fact]
    public async Task Fixed_shapes_see_the_captured_context_and_no_other_AsyncLocal()
    {
        using var request = new Activity("request").Start();
        Baggage.SetBaggage("tenant", "a");
        Other.Value = "request-local";

        var snapshot = ContextSnapshot.Capture();
        Task<(Activity?, string?, string?)> run;
        Task<(Activity?, string?, string?)> runAsync;
        var queued = new TaskCompletionSource<(Activity?, string?, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        (Activity?, string?, string?) onThread = default;
        Thread thread;
        using (ExecutionContext.SuppressFlow())
        {
            run = Task.Run(() => snapshot.Run(Seen));
            runAsync = Task.Run(() => snapshot.RunAsync(async () =>
            {
                await Task.Delay(1).ConfigureAwait(false);
                await Task.Yield();
                return Seen();
            }));
            ThreadPool.QueueUserWorkItem(snapshot.Wrap(_ => queued.SetResult(Seen())));
            thread = new Thread(snapshot.Wrap(() => onThread = Seen()).Invoke);
            thread.Start();
        }

        foreach (var seen in new[] { await run.WaitAsync(Guard), await runAsync.WaitAsync(Guard), await queued.Task.WaitAsync(Guard) })
        {
            Assert.Same(request, seen.Item1);
            Assert.Equal("a", seen.Item2);
            Assert.Null(seen.Item3); // the suppression still keeps the other AsyncLocals out
        }

        thread.Join();
        Assert.Same(request, onThread.Item1);
        Assert.Equal("a", onThread.Item2);
        Assert.Null(onThread.Item3);
        Baggage.ClearBaggage();
    }

    [Fact]
    public async Task Thousands_of_regions_each_see_only_their_own_context()
    {
        const int Count = 2000;
        var tasks = new Task<bool>[Count];
        for (var i = 0; i < Count; i++)
        {
            var id = "w" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            tasks[i] = Task.Run(async () =>
            {
                using var activity = new Activity(id).Start();
                Baggage.SetBaggage("id", id);
                var snapshot = ContextSnapshot.Capture();
                Task<bool> work;
                using (ExecutionContext.SuppressFlow())
                {
                    work = Task.Run(() => snapshot.RunAsync(async () =>
                    {
                        var before = Activity.Current?.OperationName == id && Baggage.GetBaggage("id") == id;
                        await Task.Yield();
                        return before && Activity.Current?.OperationName == id && Baggage.GetBaggage("id") == id;
                    }));
                }

                return await work.ConfigureAwait(false);
            });
        }

        var results = await Task.WhenAll(tasks).WaitAsync(Guard);
        Assert.All(results, Assert.True);
    }

    private static (Activity?, string?, string?) Seen() => (Activity.Current, Baggage.GetBaggage("tenant"), Other.Value);
}
