using OpenTelemetry.Context.Propagation;

public static class Wiring
{
    private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;

    public static TextMapPropagator Current => Propagator;
}
