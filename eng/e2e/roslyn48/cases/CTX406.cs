using System.Diagnostics;

public static class Exporter
{
    private static readonly ActivitySource Source = new("Exporter");

    public static void Export(int batch, bool nightly, ActivityContext parent)
    {
        if (nightly)
        {
            using var activity = Source.StartActivity("nightly-export", ActivityKind.Internal, parentContext: default);
            activity?.SetTag("batch", batch);
        }
        else
        {
            using var activity = Source.StartActivity("export", ActivityKind.Internal, parent);
            activity?.SetTag("batch", batch);
        }
    }
}
