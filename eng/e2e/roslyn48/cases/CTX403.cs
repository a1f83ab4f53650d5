using System.Collections.Generic;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

public static class Consumer
{
    public static PropagationContext Read(TextMapPropagator propagator, Dictionary<string, string> headers)
    {
        var current = new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current);
        return propagator.Extract(current, headers, Getter);
    }

    private static IEnumerable<string> Getter(Dictionary<string, string> headers, string key) =>
        headers.TryGetValue(key, out var value) ? new[] { value } : System.Array.Empty<string>();
}
