using System.Collections.Generic;
using OpenTelemetry.Context.Propagation;

public static class Producer
{
    public static void Send(TextMapPropagator propagator, Dictionary<string, string> headers)
    {
        propagator.Inject(default, headers, (c, k, v) => c[k] = v);
    }
}
