using System.Diagnostics;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Shop.Http;

/// <summary>A request the handler receives: the tenant and the order lines, as an HTTP framework would bind them.</summary>
public sealed record OrderRequest(string Tenant, string OrderId, IReadOnlyList<decimal> Lines, bool Express);

/// <summary>
/// An HTTP-style order handler with the "attach without detach" mistakes (CTX101–CTX105), each next to its fix.
/// Build the sample to see the warnings.
/// </summary>
public sealed class OrderHandler
{
    private readonly Tracer tracer;

    public OrderHandler(TracerProvider provider) => tracer = provider.GetTracer("Shop.Http");

    /// <summary>CTX101 and CTX102: the tenant baggage and the request activity outlive the request.</summary>
    public decimal Handle(OrderRequest request)
    {
        // CTX101: writes Baggage.Current for the rest of the caller's flow (and for sibling requests sharing the holder).
        Baggage.SetBaggage("tenant", request.Tenant);

        // CTX102: an invalid order returns early and an exception in Price skips Stop(): the activity stays current.
        var activity = Program.Source.StartActivity("orders.handle");
        if (request.Lines.Count == 0)
        {
            return 0m;
        }

        var total = Price(request);
        activity?.Stop();
        return total;
    }

    /// <summary>The same handler written with scopes: nothing leaks, on any path.</summary>
    public decimal HandleFixed(OrderRequest request)
    {
        using var tenant = ContextScope.SetBaggage("tenant", request.Tenant);
        using var activity = Program.Source.StartActivity("orders.handle");
        return request.Lines.Count == 0 ? 0m : Price(request);
    }

    /// <summary>CTX101: the span is made current and never taken off again.</summary>
    public void Resume(TelemetrySpan span, Activity parent)
    {
        Tracer.WithSpan(span);
        Activity.Current = parent;
        Audit("resumed");
    }

    /// <summary>CTX103: ends whatever happens to be current, probably the server's request activity.</summary>
    public void Complete()
    {
        Activity.Current?.Stop();
        Tracer.CurrentSpan.End();
    }

    /// <summary>CTX104: instance Baggage methods return a new Baggage; these lines change nothing.</summary>
    public void TagPriority(OrderRequest request)
    {
        Baggage.Current.SetBaggage("priority", request.Express ? "express" : "standard");
        Baggage.Current.RemoveBaggage("debug");
        Audit("tagged");
    }

    /// <summary>CTX105: reads like a pure operation on <paramref name="incoming"/>, but replaces Baggage.Current with it.</summary>
    public Baggage WithRegion(Baggage incoming) => Baggage.SetBaggage("region", "eu", incoming);

    /// <summary>CTX102: a span per line, each overwritten before it is ended.</summary>
    public void PriceLines(OrderRequest request)
    {
        TelemetrySpan? span = null;
        foreach (var line in request.Lines)
        {
            span = tracer.StartSpan("orders.line");
            span.SetAttribute("amount", (double)line);
        }

        span?.End();
    }

    private static decimal Price(OrderRequest request)
    {
        if (request.Lines.Any(l => l < 0))
        {
            throw new InvalidOperationException("Negative amount in order " + request.OrderId);
        }

        return request.Lines.Sum();
    }

    private static void Audit(string what) => Console.WriteLine($"{what}: {Activity.Current?.Id} {Baggage.GetBaggage("tenant")}");
}
