using OpenTelemetry.Context.Propagation;

public static class Program
{
    private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;

    public static void Main()
    {
        System.Console.WriteLine(Propagator.Fields?.Count);
    }
}
