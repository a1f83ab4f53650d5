using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ValidCode.Infrastructure;

namespace ValidCode.Work;

/// <summary>Work started inside a span and observed before the span ends: the context flows and nothing outlives it.</summary>
public sealed class ReportBuilder
{
    public async Task<int> BuildAsync(IReadOnlyList<string> regions, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity("report build");
        var counts = await Task.Run(() => regions.Select(r => r.Length).ToArray(), cancellationToken).ConfigureAwait(false);
        var tasks = regions.Select(r => Task.Run(() => Summarize(r), cancellationToken)).ToList();
        var sums = await Task.WhenAll(tasks).ConfigureAwait(false);
        activity?.SetTag("report.regions", sums.Length);
        return counts.Sum() + sums.Sum();
    }

    public async Task ParallelAsync(IEnumerable<string> regions, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity("report parallel");
        await Parallel.ForEachAsync(regions, cancellationToken, async (region, ct) =>
        {
            using var child = Telemetry.Source.StartActivity("report parallel item");
            child?.SetTag("region", region);
            await Task.Delay(1, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    public async Task<string> LongRunningAsync(CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity("report long");
        var result = await Task.Factory.StartNew(
            () => new string('x', 16),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).ConfigureAwait(false);
        return result;
    }

    public async Task WithTimeoutAsync(Func<CancellationToken, Task> work, TimeSpan timeout)
    {
        using var activity = Telemetry.Source.StartActivity("report timeout");
        using var cts = new CancellationTokenSource(timeout);
        using var registration = cts.Token.Register(static state => ((Activity?)state)?.AddEvent(new ActivityEvent("timeout")), activity);
        await work(cts.Token).ConfigureAwait(false);
    }

    private static int Summarize(string region) => region.Sum(c => c);
}
