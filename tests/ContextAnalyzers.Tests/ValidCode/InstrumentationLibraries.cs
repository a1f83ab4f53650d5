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

