using System;
using System.Collections.Generic;
using System.Diagnostics;
using OpenTelemetry;

namespace ValidCode.BaggageUsage;

/// <summary>Baggage keys and values that look like what services really propagate, none of them sensitive.</summary>
public static class RoutingBaggage
{
    public const string TenantKey = "tenant.id";

    public static Baggage ForRequest(string tenantId, string region, string variant, int priority, string tier, string correlationId)
    {
        return Baggage.Create(new Dictionary<string, string>
        {
            [TenantKey] = tenantId,
            ["region"] = region,
            ["ab.variant"] = variant,
            ["request.priority"] = priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["customer.tier"] = tier,
            ["correlation.id"] = correlationId,
        });
    }

    public static T Run<T>(Baggage baggage, Func<T> action)
    {
        var previous = Baggage.Current;
        Baggage.Current = baggage;
        try
        {
            return action();
        }
        finally
        {
            Baggage.Current = previous;
        }
    }

    public static string Describe()
    {
        var parts = new List<string>();
        foreach (var item in Baggage.GetBaggage())
        {
            parts.Add(item.Key + "=" + item.Value);
        }

        return string.Join(",", parts);
    }

    public static void TagFromBaggage(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        foreach (var key in new[] { TenantKey, "region", "ab.variant" })
        {
            if (Baggage.GetBaggage(key) is { } value)
            {
                activity.SetTag(key, value);
            }
        }
    }
}
