using OpenTelemetry;

public static class Regions
{
    public static void Write(string region) => Baggage.SetBaggage("regoin", region);

    public static string? Read() => Baggage.GetBaggage("region");
}
