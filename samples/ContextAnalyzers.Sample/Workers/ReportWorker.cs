using System.Diagnostics;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace Shop.Workers;

/// <summary>A nightly report job: thread-local context, suppression that is not undone, and the right ways to hop.</summary>
public sealed class ReportWorker
{
    private static readonly ActivitySource Source = Program.Source;

    // CTX203: the report's activity in thread-local storage: gone after the first await.
    [ThreadStatic]
    private static Activity? currentReport;

    private Timer? schedule;

    public static void ConfigureContext()
    {
        // CTX203: every OpenTelemetry slot would become thread-local.
        RuntimeContext.ContextSlotType = typeof(ThreadLocalRuntimeContextSlot<>);
    }

    public void Schedule()
    {
        // CTX202: an exception in the constructor leaves flow suppressed on this thread.
        ExecutionContext.SuppressFlow();
        schedule = new Timer(_ => Run(), null, TimeSpan.FromHours(1), TimeSpan.FromHours(24));
        ExecutionContext.RestoreFlow();
    }

    public void ScheduleCorrectly()
    {
        // The right ways: no captured context, a fresh root per tick.
        schedule = ContextTimer.Create(_ => Run(), null, TimeSpan.FromHours(1), TimeSpan.FromHours(24), Source, "report.tick");
    }

    public void Run()
    {
        using var activity = Source.StartActivity("report.run");
        currentReport = activity;

        // Detached, linked to 'report.run', with a copy of its baggage.
        _ = DetachedWork.Run(Source, "report.upload", ct => UploadAsync(ct));

        // Flowing and awaited: fine.
        Task.Run(() => Render(Activity.Current)).Wait();

        // CTX201: reads Activity.Current, which is null without the execution context.
        ThreadPool.UnsafeQueueUserWorkItem(_ => Render(Activity.Current), null);
    }

    public static Task RenderAsync(Activity report) => Task.Run(() =>
    {
        Render(report);

        // CTX206: set at the end of a Task.Run delegate: thrown away when it returns.
        Activity.Current = report;
    });

    private static void Render(Activity? report) => Console.WriteLine(report?.DisplayName ?? currentReport?.DisplayName);

    private static Task UploadAsync(CancellationToken cancellationToken) => Task.Delay(1, cancellationToken);
}
