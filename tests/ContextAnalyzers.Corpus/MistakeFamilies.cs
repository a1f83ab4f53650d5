using System;
using System.Collections.Generic;
using System.Linq;

namespace ContextAnalyzers.Corpus
{
    /// <summary>
    /// The seeded mistakes: one member group per rule of the catalog, written the way the mistake shows up in real
    /// services. Each group is marked <c>// seeded: CTXnnn</c> and names its members with a <c>Seeded</c> suffix.
    /// A group may also trip a neighbouring rule (a discarded static Baggage call with an explicit baggage is also an
    /// unrestored set): the corpus is realistic input, not a per-rule oracle.
    /// </summary>
    public static class MistakeFamilies
    {
        /// <summary>Every family, by rule ID.</summary>
        public static IReadOnlyList<string> All { get; } = Templates().Select(t => t.Id).ToArray();

        internal static string Render(string id, string entity)
        {
            var template = Templates().First(t => t.Id == id).Text;
            return template.Replace("$E$", entity).Replace("$e$", char.ToLowerInvariant(entity[0]) + entity.Substring(1));
        }

        private static IEnumerable<(string Id, string Text)> Templates()
        {
            yield return ("CTX101", """
                    // seeded: CTX101
                    public int CountForTenantSeeded(string tenantId, IReadOnlyList<$E$> items)
                    {
                        Baggage.SetBaggage("tenant.id", tenantId);
                        return items.Count(i => i.TenantId == tenantId);
                    }
                """);
            yield return ("CTX102", """
                    // seeded: CTX102
                    public decimal TotalSeeded(IReadOnlyList<$E$> items)
                    {
                        var activity = Telemetry.Source.StartActivity("$E$.Total");
                        var total = items.Sum(i => i.Amount);
                        if (total < 0)
                        {
                            throw new InvalidOperationException("The total is negative.");
                        }

                        activity?.Stop();
                        return total;
                    }
                """);
            yield return ("CTX103", """
                    // seeded: CTX103
                    public void CompleteSeeded($E$ item)
                    {
                        item.UpdatedAt = DateTimeOffset.UtcNow;
                        Activity.Current?.Stop();
                    }
                """);
            yield return ("CTX104", """
                    // seeded: CTX104
                    public void MarkPrioritySeeded($E$ item)
                    {
                        Baggage.Current.SetBaggage("priority", item.Quantity > 10 ? "high" : "normal");
                        _log.Info($"priority set for {item.Id}");
                    }
                """);
            yield return ("CTX105", """
                    // seeded: CTX105
                    public Baggage WithRegionSeeded(Baggage incoming, string region)
                    {
                        var updated = Baggage.SetBaggage("region", region, incoming);
                        return updated;
                    }
                """);
            yield return ("CTX201", """
                    // seeded: CTX201
                    public void AuditLaterSeeded($E$ item)
                    {
                        ThreadPool.UnsafeQueueUserWorkItem(_ =>
                        {
                            var traceId = Activity.Current?.TraceId.ToString() ?? "none";
                            _log.Info($"audit {item.Id} in trace {traceId}");
                        }, null);
                    }
                """);
            yield return ("CTX202", """
                    // seeded: CTX202
                    public Task StartDetachedSeeded(Func<Task> work)
                    {
                        var flow = ExecutionContext.SuppressFlow();
                        var task = Task.Run(work);
                        flow.Undo();
                        return task;
                    }
                """);
            yield return ("CTX203", """
                    // seeded: CTX203
                    [ThreadStatic]
                    private static Activity? t_lastActivitySeeded;

                    public void RememberSeeded()
                    {
                        t_lastActivitySeeded = Activity.Current;
                    }
                """);
            yield return ("CTX204", """
                    // seeded: CTX204
                    public void ArchiveSeeded($E$ item)
                    {
                        using var activity = Telemetry.Source.StartActivity("$E$.Archive");
                        activity?.SetTag("entity.id", item.Id);
                        _ = Task.Run(() => _log.Info($"archived {item.Id}"));
                    }
                """);
            yield return ("CTX205", """
                    // seeded: CTX205
                    private System.Threading.Timer? _refreshTimerSeeded;

                    public void StartRefreshSeeded()
                    {
                        using var activity = Telemetry.Source.StartActivity("$E$.StartRefresh");
                        _refreshTimerSeeded = new System.Threading.Timer(_ => _log.Info("refresh"), null, TimeSpan.Zero, TimeSpan.FromMinutes(5));
                    }
                """);
            yield return ("CTX206", """
                    // seeded: CTX206
                    public async Task AttachSeeded(Activity activity, CancellationToken cancellationToken)
                    {
                        await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                        Activity.Current = activity;
                    }
                """);
            yield return ("CTX207", """
                    // seeded: CTX207
                    private readonly Channel<$E$> _pendingSeeded = Channel.CreateUnbounded<$E$>();

                    public async Task EnqueueSeeded($E$ item, CancellationToken cancellationToken)
                    {
                        using var activity = Telemetry.Source.StartActivity("$E$.Enqueue", ActivityKind.Producer);
                        await _pendingSeeded.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                    }
                """);
            yield return ("CTX301", """
                    // seeded: CTX301
                    public void TagCustomerSeeded($E$ item)
                    {
                        var previous = Baggage.Current;
                        Baggage.SetBaggage("user.email", item.Reference);
                        try
                        {
                            _log.Info($"tagged {item.Id}");
                        }
                        finally
                        {
                            Baggage.Current = previous;
                        }
                    }
                """);
            yield return ("CTX302", """
                    // seeded: CTX302
                    public void TagOwnerSeeded($E$ item)
                    {
                        var previous = Baggage.Current;
                        Baggage.SetBaggage("owner", item.CustomerEmail);
                        try
                        {
                            _log.Info($"tagged {item.Id}");
                        }
                        finally
                        {
                            Baggage.Current = previous;
                        }
                    }
                """);
            yield return ("CTX303", """
                    // seeded: CTX303
                    public void TagItemsSeeded($E$ item)
                    {
                        var previous = Baggage.Current;
                        Baggage.SetBaggage("order items", string.Join(",", item.Tags));
                        try
                        {
                            _log.Info($"tagged {item.Id}");
                        }
                        finally
                        {
                            Baggage.Current = previous;
                        }
                    }
                """);
            yield return ("CTX401", """
                    // seeded: CTX401
                    public void ReceiveSeeded(Message message)
                    {
                        Propagators.DefaultTextMapPropagator.Extract(default, message.Headers, HeaderCarrier.Getter);
                        _log.Info($"received {message.Topic}");
                    }
                """);
            yield return ("CTX402", """
                    // seeded: CTX402
                    public void ProcessSeeded(Message message)
                    {
                        var parent = Propagators.DefaultTextMapPropagator.Extract(default, message.Headers, HeaderCarrier.Getter);
                        using var activity = Telemetry.Source.StartActivity("$E$ process", ActivityKind.Consumer);
                        activity?.SetTag("messaging.message.id", message.Id);
                        _log.Info($"remote trace {parent.ActivityContext.TraceId}");
                    }
                """);
            yield return ("CTX403", """
                    // seeded: CTX403
                    public PropagationContext ReadSeeded(Message message)
                    {
                        var current = new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current);
                        return Propagators.DefaultTextMapPropagator.Extract(current, message.Headers, HeaderCarrier.Getter);
                    }
                """);
            yield return ("CTX404", """
                    // seeded: CTX404
                    private static readonly TextMapPropagator TraceOnlySeeded = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator() });

                    public void ForwardSeeded(Message message)
                    {
                        var context = Activity.Current?.Context ?? default;
                        TraceOnlySeeded.Inject(new PropagationContext(context, Baggage.Current), message.Headers, HeaderCarrier.Setter);
                    }
                """);
            yield return ("CTX405", """
                    // seeded: CTX405
                    private static class $E$EntrySeeded
                    {
                        private static readonly TextMapPropagator CachedPropagatorSeeded = Propagators.DefaultTextMapPropagator;

                        public static void Main()
                        {
                            var context = Activity.Current?.Context ?? default;
                            CachedPropagatorSeeded.Inject(new PropagationContext(context, Baggage.Current), new Message("audit", "{}").Headers, HeaderCarrier.Setter);
                        }
                    }
                """);
            yield return ("CTX406", """
                    // seeded: CTX406
                    public void NightlySeeded(bool rerun, ActivityContext scheduled)
                    {
                        using var activity = rerun
                            ? Telemetry.Source.StartActivity("$E$.Nightly", ActivityKind.Internal, parentContext: default)
                            : Telemetry.Source.StartActivity("$E$.Nightly", ActivityKind.Internal, scheduled);
                        _log.Info("nightly run");
                    }
                """);
            yield return ("CTX407", """
                    // seeded: CTX407
                    public void PublishBareSeeded(Message message)
                    {
                        Propagators.DefaultTextMapPropagator.Inject(default, message.Headers, HeaderCarrier.Setter);
                    }
                """);
        }
    }
}
