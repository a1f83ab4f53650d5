using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using ValidCode.Infrastructure;

namespace ValidCode.Consumers;

/// <summary>Extract with default, baggage made current in a try/finally, consumer span parented on the remote context.</summary>
public sealed class OrderPlacedConsumer
{
    private readonly ILogger<OrderPlacedConsumer> _logger;

    public OrderPlacedConsumer(ILogger<OrderPlacedConsumer> logger) => _logger = logger;

    public async Task HandleAsync(BrokerMessage message, CancellationToken cancellationToken)
    {
        var parent = Propagators.DefaultTextMapPropagator.Extract(default, message.Headers, Utf8Headers.Get);
        var previous = Baggage.Current;
        Baggage.Current = parent.Baggage;
        try
        {
            using var activity = Telemetry.Source.StartActivity("orders.placed process", ActivityKind.Consumer, parent.ActivityContext);
            activity?.SetTag("messaging.system", "kafka");
            activity?.SetTag("messaging.destination.name", message.Topic);
            activity?.SetTag("messaging.message.id", message.MessageId);
            using (_logger.BeginScope(new Dictionary<string, object> { ["MessageId"] = message.MessageId }))
            {
                var body = Encoding.UTF8.GetString(message.Payload);
                await ProcessAsync(body, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Baggage.Current = previous;
        }
    }

    private async Task ProcessAsync(string body, CancellationToken cancellationToken)
    {
        var tenant = Baggage.GetBaggage("tenant.id") ?? "unknown";
        await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Processed {Length} characters for tenant {Tenant}", body.Length, tenant);
    }
}

/// <summary>A batch consumer: one span per batch, linked to every message's remote context.</summary>
public sealed class ShipmentBatchConsumer
{
    public async Task<int> HandleBatchAsync(IReadOnlyList<BrokerMessage> batch, CancellationToken cancellationToken)
    {
        var links = new List<ActivityLink>(batch.Count);
        foreach (var message in batch)
        {
            var remote = Propagators.DefaultTextMapPropagator.Extract(default, message.Headers, Utf8Headers.Get);
            if (remote.ActivityContext.IsValid())
            {
                links.Add(new ActivityLink(remote.ActivityContext));
            }
        }

        using var activity = Telemetry.Source.StartActivity(ActivityKind.Consumer, links: links, name: "shipments process");
        activity?.SetTag("messaging.batch.message_count", batch.Count);
        var processed = 0;
        foreach (var message in batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            processed += message.Payload.Length > 0 ? 1 : 0;
        }

        return processed;
    }
}

/// <summary>A channel consumer whose items carry their producer's context; each item gets its own span and baggage.</summary>
public sealed class ContextCarryingQueue
{
    private readonly Channel<WorkItem> _channel = Channel.CreateBounded<WorkItem>(256);

    public ValueTask EnqueueAsync(string payload, CancellationToken cancellationToken)
    {
        var item = new WorkItem(payload, new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current));
        return _channel.Writer.WriteAsync(item, cancellationToken);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var previous = Baggage.Current;
            Baggage.Current = item.Context.Baggage;
            try
            {
                using var activity = Telemetry.Source.StartActivity("work item", ActivityKind.Consumer, item.Context.ActivityContext);
                activity?.SetTag("work.length", item.Payload.Length);
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Baggage.Current = previous;
            }
        }
    }

    public sealed record WorkItem(string Payload, PropagationContext Context);
}
