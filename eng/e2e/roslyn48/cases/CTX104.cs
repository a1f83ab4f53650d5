using OpenTelemetry;

public static class Tenants
{
    public static void Handle(string tenant)
    {
        Baggage.Current.SetBaggage("tenant", tenant);
        Work();
    }

    private static void Work()
    {
    }
}
