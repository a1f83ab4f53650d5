using System.Diagnostics;
using System.Text;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace Shop.Messaging;

/// <summary>A row of the transactional outbox: the message and the context it was written under.</summary>
public sealed record OutboxRow(string OrderId, Dictionary<string, string> Context);

/// <summary>
/// Writes order events to the outbox inside the request, and publishes them later from a background relay.
/// The propagation-wiring mistakes (CTX404, CTX407) are marked; the last methods show the helpers.
/// </summary>
public sealed class OrderOutbox
{
    // CTX404: the outbox injects baggage (the tenant), but this propagator has no BaggagePropagator.
    private static readonly TextMapPropagator Propagator =
        new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator() });

    private readonly List<OutboxRow> rows = new();

    /// <summary>Called inside the checkout request: records the request's trace and baggage with the event.</summary>
    public OutboxRow Save(string orderId)
    {
        var context = new Dictionary<string, string>();
        Propagator.Inject(new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current), context, (c, k, v) => c[k] = v);
        var row = new OutboxRow(orderId, context);
        rows.Add(row);
        return row;
    }

    /// <summary>CTX407: the relay injects an empty context, so no traceparent reaches the broker.</summary>
    public BrokerMessage Publish(OutboxRow row)
    {
        var headers = new List<(string Key, byte[] Value)>();
        Propagators.DefaultTextMapPropagator.Inject(default, headers, (h, k, v) => h.Add((k, Encoding.UTF8.GetBytes(v))));
        return new BrokerMessage(row.OrderId, row.OrderId, headers);
    }

    /// <summary>Right: the outbox stores the current context with the helper...</summary>
    public OutboxRow SaveCorrectly(string orderId)
    {
        var context = new Dictionary<string, string>();
        Propagators.DefaultTextMapPropagator.InjectCurrent(context);
        var row = new OutboxRow(orderId, context);
        rows.Add(row);
        return row;
    }

    /// <summary>...and the relay publishes under the stored context, as a producer span of the original trace.</summary>
    public BrokerMessage PublishCorrectly(OutboxRow row)
    {
        var headers = new List<(string Key, byte[] Value)>();
        var stored = Propagators.DefaultTextMapPropagator.Extract(row.Context);
        using var scope = ContextScope.Attach(stored);
        using var activity = Program.Source.StartActivity("orders publish", ActivityKind.Producer, scope.Parent);
        Propagators.DefaultTextMapPropagator.InjectCurrent(headers);
        return new BrokerMessage(row.OrderId, row.OrderId, headers);
    }
}
