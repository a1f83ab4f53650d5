using System.Diagnostics;
using OpenTelemetry;

namespace Consumer;

// Correct code: the analyzers must stay silent here (any diagnostic in this file fails the build-output check).
public static class Clean
{
    private static readonly ActivitySource Source = new("Consumer");

    public static void SetTenant(string tenant)
    {
        var previous = Baggage.Current;
        Baggage.SetBaggage("tenant", tenant);
        try
        {
            Handle();
        }
        finally
        {
            Baggage.Current = previous;
        }
    }

    public static void Process(int item)
    {
        using var activity = Source.StartActivity("process");
        activity?.SetTag("item", item);
        Handle();
    }

    private static void Handle()
    {
    }
}
