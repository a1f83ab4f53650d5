using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Context;
using ValidCode.Infrastructure;

namespace ValidCode.Scopes;

/// <summary>Ambient context set and restored on every path.</summary>
public static class TenantScopes
{
    public static T RunForTenant<T>(string tenantId, Func<T> action)
    {
        var previous = Baggage.Current;
        Baggage.SetBaggage("tenant.id", tenantId);
        try
        {
            return action();
        }
        finally
        {
            Baggage.Current = previous;
        }
    }

    public static void RunWithOptionalRegion(string? region, Action action)
    {
        var apply = region is not null;
        var previous = Baggage.Current;
        if (apply)
        {
            Baggage.SetBaggage("region", region);
        }

        try
        {
            action();
        }
        finally
        {
            if (apply)
            {
                Baggage.Current = previous;
            }
        }
    }

    public static void RunUnderActivity(Activity activity, Action action)
    {
        var previous = Activity.Current;
        Activity.Current = activity;
        try
        {
            action();
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>A true root: clear the current activity around the start, restore it after.</summary>
    public static Activity? StartRoot(string name)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            return Telemetry.Source.StartActivity(name, ActivityKind.Internal);
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>The async builder restores the caller's ExecutionContext: an Activity.Current change here stays here.</summary>
    public static async Task<int> CountInChildSpanAsync(Activity child, IReadOnlyList<int> values)
    {
        Activity.Current = child;
        await Task.Yield();
        var sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        Activity.Current?.SetTag("sum", sum);
        return sum;
    }

    /// <summary>Pure instance methods: the result is kept and used.</summary>
    public static Baggage WithVariant(Baggage baggage, string variant)
    {
        var updated = baggage.SetBaggage("ab.variant", variant);
        return updated.SetBaggage("request.priority", "normal");
    }
}

/// <summary>A scope type: Dispose restores what the constructor replaced.</summary>
public sealed class BaggageScope : IDisposable
{
    private readonly Baggage _previous;
    private bool _disposed;

    public BaggageScope(string key, string value)
    {
        _previous = Baggage.Current;
        Baggage.Current = Baggage.Current.SetBaggage(key, value);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Baggage.Current = _previous;
        }
    }
}

public sealed class ScopeUsers
{
    public int Compute(string tier, Func<int> action)
    {
        using (new BaggageScope("customer.tier", tier))
        {
            return action();
        }
    }

    public int ComputeWithRuntimeSlot(RuntimeContextSlot<string> slot, string value, Func<int> action)
    {
        var previous = slot.Get();
        slot.Set(value);
        try
        {
            return action();
        }
        finally
        {
            slot.Set(previous);
        }
    }
}

/// <summary>Activities ended on every path, or handed to an owner.</summary>
public sealed class ActivityOwnership
{
    private readonly List<Activity> _open = new();
    private Activity? _current;

    public Activity? StartForCaller(string name) => Telemetry.Source.StartActivity(name);

    public void StartAndKeep(string name)
    {
        var activity = Telemetry.Source.StartActivity(name);
        if (activity is not null)
        {
            _open.Add(activity);
        }
    }

    public void StartIntoField(string name)
    {
        _current?.Dispose();
        _current = Telemetry.Source.StartActivity(name);
    }

    public void StartAndHandOver(string name, Action<Activity?> owner)
    {
        var activity = Telemetry.Source.StartActivity(name);
        owner(activity);
    }

    public bool TryStart(string name, out Activity? activity)
    {
        activity = Telemetry.Source.StartActivity(name);
        return activity is not null;
    }

    public int StopInFinally(IReadOnlyList<int> values)
    {
        var activity = Telemetry.Source.StartActivity("sum");
        try
        {
            var sum = 0;
            foreach (var v in values)
            {
                sum = checked(sum + v);
            }

            return sum;
        }
        finally
        {
            activity?.Dispose();
        }
    }

    public void UsingBlock(Action work)
    {
        using (var activity = Telemetry.Source.StartActivity("block"))
        {
            activity?.SetTag("kind", "block");
            work();
        }
    }

    public void EndAll()
    {
        foreach (var activity in _open)
        {
            activity.Stop();
        }

        _open.Clear();
        _current?.Dispose();
        _current = null;
    }
}
