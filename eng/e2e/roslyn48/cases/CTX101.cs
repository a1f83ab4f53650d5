using System.Diagnostics;
using OpenTelemetry;

public static class Tenants
{
    public static void Handle(string tenant)
    {
        Baggage.SetBaggage("tenant", tenant);
        Work();
    }

    private static void Work()
    {
    }
}
