using OpenTelemetry;

public static class Tenancy
{
    public static void Write(string tenant) => Baggage.SetBaggage("tenant.id", tenant);

    public static string? Read() => Baggage.GetBaggage("tenant-id");
}
