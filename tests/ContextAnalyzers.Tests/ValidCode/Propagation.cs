using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using ValidCode.Infrastructure;

namespace ValidCode.Propagation;

/// <summary>Carrier helpers written by hand, correctly.</summary>
public static class MessagePropagation
{
    private static readonly TextMapPropagator TraceAndBaggage = new CompositeTextMapPropagator(new TextMapPropagator[]
    {
        new TraceContextPropagator(),
        new BaggagePropagator(),
    });

    /// <summary>Read at call time: the SDK may replace the default propagator after this type is initialized.</summary>
    private static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;

    public static void InjectCurrent(BrokerMessage message)
    {
        var activity = Activity.Current;
        if (activity is null)
        {
            return;
        }

        Propagator.Inject(new PropagationContext(activity.Context, Baggage.Current), message.Headers, Utf8Headers.Set);
    }

    public static void InjectExplicit(BrokerMessage message, Activity producer)
    {
        TraceAndBaggage.Inject(new PropagationContext(producer.Context, Baggage.Current), message.Headers, Utf8Headers.Set);
    }

    public static PropagationContext ExtractFrom(BrokerMessage message) =>
        Propagator.Extract(default, message.Headers, Utf8Headers.Get);

    public static PropagationContext ExtractFromDictionary(IDictionary<string, string> headers) =>
        TraceAndBaggage.Extract(default(PropagationContext), headers, static (h, key) => h.TryGetValue(key, out var v) ? new[] { v } : Enumerable.Empty<string>());

    public static Activity? StartConsumer(BrokerMessage message)
    {
        var remote = ExtractFrom(message);
        return Telemetry.Source.StartActivity($"{message.Topic} receive", ActivityKind.Consumer, remote.ActivityContext);
    }

    public static Activity? StartLinked(BrokerMessage message)
    {
        var remote = ExtractFrom(message);
        var links = remote.ActivityContext.IsValid() ? new[] { new ActivityLink(remote.ActivityContext) } : Array.Empty<ActivityLink>();
        return Telemetry.Source.StartActivity(ActivityKind.Consumer, links: links, name: $"{message.Topic} process");
    }

    public static void Forward(BrokerMessage incoming, BrokerMessage outgoing)
    {
        var remote = ExtractFrom(incoming);
        Propagator.Inject(remote, outgoing.Headers, Utf8Headers.Set);
    }
}

/// <summary>A producer that publishes with its own span as the parent of the consumer's.</summary>
public sealed class EventPublisher
{
    private readonly IBroker _broker;

    public EventPublisher(IBroker broker) => _broker = broker;

    public async Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity($"{topic} publish", ActivityKind.Producer);
        var message = new BrokerMessage(topic, payload);
        if (activity is not null)
        {
            activity.SetTag("messaging.destination.name", topic);
            MessagePropagation.InjectExplicit(message, activity);
        }

        await _broker.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }
}
