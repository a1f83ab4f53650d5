using System.Diagnostics;

public static class Exporter
{
    private static readonly ActivitySource Source = new("Exporter");

    public static void Nightly(int batch)
    {
        using var activity = Source.StartActivity("nightly-export", ActivityKind.Internal, parentContext: default);
        activity?.SetTag("batch", batch);
    }
}
