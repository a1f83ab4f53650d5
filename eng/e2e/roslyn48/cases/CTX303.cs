using OpenTelemetry;

public static class Tenants
{
    public static void Handle(string tenant)
    {
        var previous = Baggage.Current;
        try
        {
            Baggage.SetBaggage("tenant id", tenant);
        }
        finally
        {
            Baggage.Current = previous;
        }
    }
}
