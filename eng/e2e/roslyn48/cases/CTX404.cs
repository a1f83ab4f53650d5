using System.Collections.Generic;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

public static class Producer
{
    private static readonly TextMapPropagator Propagator =
        new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator() });

    public static void Send(Dictionary<string, string> headers)
    {
        Propagator.Inject(new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current), headers, (c, k, v) => c[k] = v);
    }
}
