using System.Diagnostics;
using OpenTelemetry;

namespace Consumer;

// Each mistake carries a marker the end-to-end script reads: "expect: ID" is reported by a normal build,
// "strict: ID" only with <ContextAnalyzersMode>Strict</ContextAnalyzersMode>. The script checks that the build reports
// exactly these, at these lines, and nothing else.
public static class Flagged
{
    private static readonly ActivitySource Source = new("Consumer");

    public static void SetTenant(string tenant)
    {
        Baggage.SetBaggage("tenant", tenant); // expect: CTX101
        Handle();
    }

    public static void Process(int item)
    {
        var activity = Source.StartActivity("process"); // expect: CTX102
        Handle();
        activity?.Stop();
    }

    public static void ReplaceTenant(Baggage incoming, string tenant)
    {
        var previous = Baggage.Current;
        Baggage.SetBaggage("tenant", tenant, incoming); // strict: CTX105
        try
        {
            Handle();
        }
        finally
        {
            Baggage.Current = previous;
        }
    }

    private static void Handle()
    {
    }
}
