using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using ValidCode.Infrastructure;

namespace ValidCode.InstrumentationHooks;

/// <summary>
/// Instrumentation code sets ambient context in one member and restores it in another: a begin hook and its end hook,
/// a span factory and its End, a scope and its restore. CTX101 used to report every begin hook of this file.
/// </summary>
public sealed class RequestItems
{
    public Dictionary<string, object?> Items { get; } = new();

    public Dictionary<string, string> Headers { get; } = new();
}

/// <summary>A classic HTTP module: BeginRequest saves the previous baggage in the request items, EndRequest puts it back.</summary>
public sealed class TelemetryModule
{
    private const string PreviousBaggageKey = "telemetry.previous-baggage";
    private const string ActivityKey = "telemetry.activity";

    private static readonly Func<Dictionary<string, string>, string, IEnumerable<string>> Getter =
        static (headers, key) => headers.TryGetValue(key, out var value) ? new[] { value } : Array.Empty<string>();

    private readonly TextMapPropagator propagator;

    public TelemetryModule(TextMapPropagator propagator) => this.propagator = propagator;

    public void OnBeginRequest(RequestItems request)
    {
        var incoming = propagator.Extract(default, request.Headers, Getter);
        request.Items[PreviousBaggageKey] = Baggage.Current;
        Baggage.Current = incoming.Baggage;
        request.Items[ActivityKey] = Telemetry.Source.StartActivity("request", ActivityKind.Server, incoming.ActivityContext);
    }

    public void OnEndRequest(RequestItems request)
    {
        if (request.Items.TryGetValue(ActivityKey, out var stored) && stored is Activity activity)
        {
            activity.Stop();
        }

        if (request.Items.TryGetValue(PreviousBaggageKey, out var saved) && saved is Baggage previous)
        {
            Baggage.Current = previous;
        }
        else
        {
            Baggage.Current = default;
        }
    }
}

/// <summary>A job filter: the performing hook sets the job's baggage, the performed hook clears it.</summary>
public sealed class JobBaggageFilter
{
    public void OnJobPerforming(IReadOnlyDictionary<string, string> jobParameters)
    {
        foreach (var parameter in jobParameters)
        {
            Baggage.SetBaggage(parameter.Key, parameter.Value);
        }
    }

    public void OnJobPerformed() => Baggage.ClearBaggage();
}

/// <summary>A span factory: starts spans, makes a sampled one current, and its End puts the previous activity back.</summary>
public sealed class SpanFactory
{
    private const string PreviousKey = "span-factory.previous";

    public Activity? CreateSpan(string name)
    {
        var previous = Activity.Current;
        var activity = Telemetry.Source.StartActivity(name);
        if (activity is null)
        {
            return null;
        }

        activity.SetCustomProperty(PreviousKey, previous);
        Activity.Current = activity;
        return activity;
    }

    public void EndSpan(Activity? span)
    {
        if (span is null)
        {
            return;
        }

        var previous = span.GetCustomProperty(PreviousKey) as Activity;
        span.Dispose();
        Activity.Current = previous;
    }
}

/// <summary>Work items of a batch are linked roots: each Task.Run delegate detaches on its own copy of the ExecutionContext.</summary>
public static class BatchFanOut
{
    public static Task RunAsync(IReadOnlyList<string> items)
    {
        var link = Activity.Current?.Context;
        var tasks = new List<Task>();
        foreach (var item in items)
        {
            tasks.Add(Task.Run(() =>
            {
                Activity.Current = null;
                var links = link is { } context ? new[] { new ActivityLink(context) } : null;
                using var root = Telemetry.Source.StartActivity(ActivityKind.Internal, name: "batch-item", links: links);
                root?.SetTag("item", item);
            }));
        }

        return Task.WhenAll(tasks);
    }
}
