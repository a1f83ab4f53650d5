using ContextAnalyzers.Runtime;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

namespace Shop.Team;

/// <summary>
/// The invoice endpoint, written against the team's standards: it reads the baggage that CustomerContextMiddleware
/// writes, adds its own keys (listed in baggage-keys.txt, the project's key schema), and logs in a scope per invoice.
/// </summary>
public sealed class InvoiceHandler
{
    private readonly ILogger<InvoiceHandler> logger;

    public InvoiceHandler(ILogger<InvoiceHandler> logger) => this.logger = logger;

    public string Handle(string invoiceId)
    {
        // CTX106: the scope is never disposed, so every later log entry of this flow (the next invoice's too, on this
        // thread) claims to be about this invoice. The fix makes it 'using var scope = ...'.
        logger.BeginScope("invoice {InvoiceId}", invoiceId);

        // CTX304: the middleware writes "tenant.id"; this read never sees it (keys are compared ordinally), so every
        // invoice silently gets the default tenant. The fix reads the written key.
        var tenant = Baggage.GetBaggage("tenant-id") ?? "default";

        // Fine: the same key as the writer.
        var tier = Baggage.GetBaggage("customer.tier") ?? "standard";

        // CTX305: the schema lists "invoice.id"; every reader downstream would miss "invoice.Id". The fix uses the listed key.
        using var invoice = ContextScope.SetBaggage("invoice.Id", invoiceId);

        // Fine: a scope that ends with the block, on every path.
        using (logger.BeginScope("tenant {Tenant}", tenant))
        {
            logger.LogInformation("Invoice {InvoiceId} for tier {Tier}", invoiceId, tier);
        }

        return $"{tenant}/{tier}/{invoiceId}";
    }
}
