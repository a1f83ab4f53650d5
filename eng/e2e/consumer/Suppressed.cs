using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using OpenTelemetry;

namespace Consumer;

// The same mistakes as Flagged.cs, suppressed the two ways users do. "pragma: ID" and "attribute: ID" mark what a
// build reports once the lines marked "e2e:suppression" are blanked out (the script's control build), so the
// suppressions are proven to be what keeps these lines quiet.
public static class Suppressed
{
    private static readonly ActivitySource Source = new("Consumer");

    public static void SetTenantWithPragma(string tenant)
    {
#pragma warning disable CTX101 // e2e:suppression
        Baggage.SetBaggage("tenant", tenant); // pragma: CTX101
#pragma warning restore CTX101 // e2e:suppression
        Handle();
    }

    [SuppressMessage("ContextLifetime", "CTX102:Activity or span is not ended on every path", Justification = "the caller stops it")] // e2e:suppression
    public static void ProcessWithAttribute(int item)
    {
        var activity = Source.StartActivity("process"); // attribute: CTX102
        Handle();
        activity?.Stop();
    }

    private static void Handle()
    {
    }
}
