using ContextAnalyzers.Runtime;
using OpenTelemetry;

namespace Shop.Team;

/// <summary>
/// The invoice endpoint, written against the team's standards: it reads the baggage that CustomerContextMiddleware
/// writes, and adds its own keys, which the team lists in baggage-keys.txt (the project's key schema).
/// </summary>
public sealed class InvoiceHandler
{
    public string Handle(string invoiceId)
    {
        // CTX304: the middleware writes "tenant.id"; this read never sees it (keys are compared ordinally), so every
        // invoice silently gets the default tenant. The fix reads the written key.
        var tenant = Baggage.GetBaggage("tenant-id") ?? "default";

        // Fine: the same key as the writer.
        var tier = Baggage.GetBaggage("customer.tier") ?? "standard";

        // CTX305: the schema lists "invoice.id"; every reader downstream would miss "invoice.Id". The fix uses the listed key.
        using var invoice = ContextScope.SetBaggage("invoice.Id", invoiceId);

        return $"{tenant}/{tier}/{invoiceId}";
    }
}
