using System.Collections.Concurrent;
using System.Diagnostics;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context;
using Xunit.Abstractions;

namespace ContextAnalyzers.Tests.Stress;

/// <summary>
/// Strict mode under load: 100,000 concurrent flows, each inside a guard of its own, one in five correct and the others
/// each making one known kind of mistake. Every guard must report exactly the findings of its own flow's mistake: no
/// false report (a correct flow, or a finding from another flow), no lost one.
/// </summary>
public sealed class StrictModeStressTests
{
    private const int Flows = 100_000;
    private static readonly ActivitySource Source = new("ContextAnalyzers.StrictStress");

    private readonly ITestOutputHelper output;

    public StrictModeStressTests(ITestOutputHelper output) => this.output = output;

    private enum Mistake
    {
        None,
        ActivityLeftRunning,
        BaggageNotRestored,
        ScopesOutOfOrder,
        WorkOutlivesSpan,
    }

    [Fact]
    public async Task Hundred_thousand_concurrent_flows_under_strict_mode_report_exactly_their_own_leaks()
    {
        var options = new StrictModeOptions { ThrowFromGuard = false };
        var wrong = new ConcurrentQueue<string>();
        var reported = new long[6];
        var watch = Stopwatch.StartNew();

        var flows = new Task[Flows];
        await Task.Run(() =>
        {
            // The flows start from an empty context.
            _ = Baggage.Current;
            RuntimeContext.SetValue(ContextScope.BaggageSlotName, null);
            Activity.Current = null;
            for (var i = 0; i < Flows; i++)
            {
                var id = i;
                flows[i] = Task.Run(() => FlowAsync(id, options, wrong, reported));
            }
        });
        await Task.WhenAll(flows);

        Assert.True(wrong.IsEmpty, $"{wrong.Count} flow(s) with wrong findings; first ones:\n" + string.Join("\n", wrong.Take(10)));
        var perMistake = Flows / 5;
        Assert.Equal(perMistake, Interlocked.Read(ref reported[1])); // ActivityLeftRunning: CTX102 (and CTX101 for Current)
        Assert.Equal(perMistake, Interlocked.Read(ref reported[2]));
        Assert.Equal(perMistake, Interlocked.Read(ref reported[3]));
        Assert.Equal(perMistake, Interlocked.Read(ref reported[4]));
        output.WriteLine($"{Flows} flows under strict mode in {watch.Elapsed.TotalSeconds:0.0}s");
    }

    private static async Task FlowAsync(int id, StrictModeOptions options, ConcurrentQueue<string> wrong, long[] reported)
    {
        var mistake = (Mistake)(id % 5);
        var guard = ContextGuard.Begin(options);
        await Task.Yield();
        switch (mistake)
        {
            case Mistake.None:
                using (Source.StartActivity("fine"))
                using (ContextScope.SetBaggage("flow", "f" + id))
                {
                    await Task.Yield();
                    await Task.Run(() =>
                    {
                        using var child = Source.StartActivity("awaited-child");
                    });
                }

                break;
            case Mistake.ActivityLeftRunning:
                _ = Source.StartActivity("left-running");
                await Task.Yield();
                break;
            case Mistake.BaggageNotRestored:
                Baggage.SetBaggage("flow", "f" + id);
                await Task.Yield();
                break;
            case Mistake.ScopesOutOfOrder:
                var outer = ContextScope.SetBaggage("outer", "o");
                _ = ContextScope.SetBaggage("inner", "i");
                await Task.Yield();
                outer.Dispose();
                break;
            case Mistake.WorkOutlivesSpan:
                var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Task late;
                using (Source.StartActivity("request"))
                {
                    late = Task.Run(async () =>
                    {
                        await release.Task;
                        using var child = Source.StartActivity("late");
                    });
                }

                release.SetResult();
                await late;
                break;
        }

        guard.Dispose();
        var kinds = guard.Findings.Select(f => f.Kind).OrderBy(k => k).ToArray();
        ContextLeakKind[] expected = mistake switch
        {
            Mistake.None => Array.Empty<ContextLeakKind>(),
            Mistake.ActivityLeftRunning => new[] { ContextLeakKind.ContextNotRestored, ContextLeakKind.ActivityNotStopped },
            Mistake.BaggageNotRestored => new[] { ContextLeakKind.ContextNotRestored },
            Mistake.ScopesOutOfOrder => new[] { ContextLeakKind.EndedOutOfOrder },
            _ => new[] { ContextLeakKind.WorkOutlivesSpan },
        };
        if (!kinds.SequenceEqual(expected))
        {
            wrong.Enqueue($"#{id} {mistake}: [{string.Join(", ", kinds)}], expected [{string.Join(", ", expected)}]");
        }
        else if (mistake != Mistake.None)
        {
            Interlocked.Increment(ref reported[(int)mistake]);
        }

        if (Activity.Current is not null || Baggage.Current.Count != 0)
        {
            wrong.Enqueue($"#{id} {mistake}: the guard did not put the context back");
        }
    }
}
