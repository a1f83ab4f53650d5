using System.Diagnostics;
using System.Text;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace Shop.Messaging;

/// <summary>A message as a broker client delivers it: an id, a body and <c>(string, byte[])</c> headers.</summary>
public sealed record BrokerMessage(string Id, string Body, List<(string Key, byte[] Value)> Headers);

/// <summary>
/// Consumes order messages. The propagation-wiring mistakes (CTX401–CTX403, CTX406; CTX405 is in Program) are marked; the last
/// method shows the helper that does the whole job.
/// </summary>
public sealed class OrderConsumer
{
    // Not CTX405: first read when a message arrives, after Program set the SDK up (see Program.StartupPropagator).
    private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;

    private static IEnumerable<string>? GetHeader(BrokerMessage message, string name)
        => message.Headers.Where(h => h.Key == name).Select(h => Encoding.UTF8.GetString(h.Value)).ToList();

    /// <summary>CTX401: the extracted context is thrown away; the validation span is disconnected.</summary>
    public bool Validate(BrokerMessage message)
    {
        Propagator.Extract(default, message, GetHeader);
        return message.Body.Length > 0;
    }

    /// <summary>CTX402: extracted, then the consumer activity starts without it as parent.</summary>
    public void Handle(BrokerMessage message)
    {
        var context = Propagator.Extract(default, message, GetHeader);
        using var activity = Program.Source.StartActivity("orders process", ActivityKind.Consumer);
        activity?.SetTag("messaging.message.id", message.Id);
    }

    /// <summary>CTX403: with a current activity, Extract returns the fallback and never reads the headers.</summary>
    public void Reprocess(BrokerMessage message)
    {
        var fallback = new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current);
        var context = Propagator.Extract(fallback, message, GetHeader);
        using var scope = ContextScope.Attach(context);
        using var activity = Program.Source.StartActivity("orders reprocess", ActivityKind.Consumer, scope.Parent);
    }

    /// <summary>
    /// CTX406: a replay is meant as a new trace (the other branch continues the message's trace), but with a default
    /// parent it joins whatever activity is current.
    /// </summary>
    public void Sweep(IEnumerable<BrokerMessage> deadLetters, bool replay, ActivityContext original)
    {
        if (replay)
        {
            using var activity = Program.Source.StartActivity("orders sweep", ActivityKind.Internal, parentContext: default);
            activity?.SetTag("messaging.batch.message_count", deadLetters.Count());
        }
        else
        {
            using var activity = Program.Source.StartActivity("orders sweep", ActivityKind.Internal, original);
            activity?.SetTag("messaging.batch.message_count", deadLetters.Count());
        }
    }

    /// <summary>Right: extract, attach baggage, start the consumer activity under the remote parent, restore on dispose.</summary>
    public void HandleCorrectly(BrokerMessage message)
    {
        using var consumed = ConsumerScope.Start(Program.Source, "orders process", Propagators.DefaultTextMapPropagator, message.Headers);
        consumed.Activity?.SetTag("messaging.message.id", message.Id);
    }
}
