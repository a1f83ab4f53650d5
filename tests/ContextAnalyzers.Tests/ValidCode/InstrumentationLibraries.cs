using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace ValidCode.InstrumentationLibraries;

/// <summary>
/// Shapes of instrumentation libraries (client, database and messaging instrumentation) that are correct and that
/// rules once reported.
/// </summary>
public sealed class DatabaseCommandInstrumentation
{
    private static readonly ActivitySource Source = new("ValidCode.Database");

    /// <summary>
    /// CTX406: <c>default</c> only fills the <c>parentContext</c> position to reach <c>tags</c> and <c>startTime</c>;
    /// the command span is meant to be a child of the current activity, and is.
    /// </summary>
    public Activity? OnCommandStarting(string database, string operation, DateTimeOffset startedAt)
    {
        var tags = new List<KeyValuePair<string, object?>>
        {
            new("db.namespace", database),
            new("db.operation.name", operation),
        };

        return Source.StartActivity(operation + " " + database, ActivityKind.Client, parentContext: default, tags: tags, startTime: startedAt);
    }

    /// <summary>CTX406: a poll span parented on the current activity, linked to the producers of the messages it got.</summary>
    public Activity? OnPolled(IReadOnlyList<ActivityContext> producers)
    {
        var links = new List<ActivityLink>();
        foreach (var producer in producers)
        {
            links.Add(new ActivityLink(producer));
        }

        return Source.StartActivity("poll", ActivityKind.Client, default(ActivityContext), tags: null, links: links);
    }

    /// <summary>
    /// CTX406: the server span joins the current activity when it already belongs to the caller's trace, and takes
    /// the caller's context as its parent otherwise; the default is chosen only after seeing a current activity.
    /// </summary>
    public Activity? OnRequestReceived(ActivityContext caller, IEnumerable<KeyValuePair<string, object?>> tags)
    {
        var current = Activity.Current;
        if (current is null)
        {
            return Source.StartActivity("serve", ActivityKind.Server, caller, tags);
        }
        else if (current.TraceId == caller.TraceId)
        {
            return Source.StartActivity("serve", ActivityKind.Server, default(ActivityContext), tags);
        }

        return Source.StartActivity("serve", ActivityKind.Server, caller, tags);
    }
}

/// <summary>
/// CTX405: a library type's cached default propagator is first read when a message is handled, after the application
/// set the SDK up (its entry points run the Sdk static constructor at registration): it holds the configured one.
/// CTX403: the context handed to Extract is a local that still holds its default.
/// </summary>
public static class HeaderPropagation
{
    private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;

    public static PropagationContext Read(IReadOnlyDictionary<string, string>? headers)
    {
        PropagationContext context = default;
        if (headers is not null)
        {
            context = Propagator.Extract(context, headers, static (carrier, key) => carrier.TryGetValue(key, out var value) ? new[] { value } : Array.Empty<string>());
        }

        return context;
    }
}

/// <summary>
/// CTX203: per-thread scratch of a serializer: lists of finished activities pooled and grouped by source, filled and
/// emptied within one synchronous call. Never the current context.
/// </summary>
public static class SpanBatchSerializer
{
    [ThreadStatic]
    private static Stack<List<Activity>>? listPool;

    [ThreadStatic]
    private static Dictionary<string, List<Activity>>? bySource;

    public static int CountSources(IEnumerable<Activity> finished)
    {
        listPool ??= new Stack<List<Activity>>();
        bySource ??= new Dictionary<string, List<Activity>>();
        try
        {
            foreach (var activity in finished)
            {
                if (!bySource.TryGetValue(activity.Source.Name, out var list))
                {
                    list = listPool.Count > 0 ? listPool.Pop() : new List<Activity>();
                    bySource[activity.Source.Name] = list;
                }

                list.Add(activity);
            }

            return bySource.Count;
        }
        finally
        {
            foreach (var list in bySource.Values)
            {
                list.Clear();
                listPool.Push(list);
            }

            bySource.Clear();
        }
    }
}

/// <summary>
/// CTX202 / CTX201: work started without the caller's ExecutionContext on purpose, suppressing flow only when it is not
/// suppressed already and restoring it in the finally that follows.
/// </summary>
public sealed class BackgroundDrain
{
    private readonly Thread drainThread;

    public BackgroundDrain(ThreadStart drain)
    {
        this.drainThread = new Thread(drain) { IsBackground = true, Name = "drain" };

        var restoreFlow = !ExecutionContext.IsFlowSuppressed();
        if (restoreFlow)
        {
            ExecutionContext.SuppressFlow();
        }

        try
        {
            this.drainThread.Start();
        }
        finally
        {
            if (restoreFlow)
            {
                ExecutionContext.RestoreFlow();
            }
        }
    }

    /// <summary>A timer that does not capture the creator's context: its ticks run in the default context.</summary>
    public static Timer CreateNonCapturingTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var restoreFlow = false;
        try
        {
            if (!ExecutionContext.IsFlowSuppressed())
            {
                ExecutionContext.SuppressFlow();
                restoreFlow = true;
            }

            return new Timer(callback, state, dueTime, period);
        }
        finally
        {
            if (restoreFlow)
            {
                ExecutionContext.RestoreFlow();
            }
        }
    }
}
