using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Trace;

namespace Shop;

/// <summary>
/// Runs one fake request, one message and one worker tick through the shop, with a console exporter-free tracer
/// provider so that activities are sampled. Each file of this sample holds the mistakes of one family of rules.
/// </summary>
public static class Program
{
    public static readonly ActivitySource Source = new("Shop");

    // CTX405 (propagation family): initialised before Main sets the SDK up, so it keeps the no-op propagator.
    internal static readonly TextMapPropagator StartupPropagator = Propagators.DefaultTextMapPropagator;

    public static async Task Main()
    {
        using var tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource("Shop").Build();
        Console.WriteLine("Shop sample: build it to see the ContextAnalyzers diagnostics (dotnet build --no-incremental).");
        await Task.Yield();
    }
}
