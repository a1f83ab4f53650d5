using System.Collections.Generic;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

public static class Consumer
{
    private static readonly ActivitySource Source = new("Consumer");
    private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;

    public static void Process(Dictionary<string, string> headers)
    {
        var context = Propagator.Extract(default, headers, Getter);
        Baggage.Current = context.Baggage;
        using var activity = Source.StartActivity("orders process", ActivityKind.Consumer);
    }

    private static IEnumerable<string> Getter(Dictionary<string, string> headers, string key) =>
        headers.TryGetValue(key, out var value) ? new[] { value } : System.Array.Empty<string>();
}
