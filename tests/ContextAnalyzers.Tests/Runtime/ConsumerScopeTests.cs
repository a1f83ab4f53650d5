using System.Diagnostics;
using System.Text;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using static ContextAnalyzers.Tests.Runtime.FactsTests_Propagation;

namespace ContextAnalyzers.Tests.Runtime;

[Collection(nameof(ContextScopeCollection))]
public class ConsumerScopeTests
{
    [Fact]
    public Task Message_with_headers_runs_under_the_remote_parent_and_baggage_then_restores() => InOwnFlow(() =>
    {
        using var polling = Source.StartActivity("poll")!;
        Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["worker"] = "w1" });
        var headers = new Dictionary<string, string> { ["traceparent"] = TraceParentA, ["baggage"] = "tenant=acme" };

        using (var consumed = ConsumerScope.Start(Source, "orders process", W3C, headers))
        {
            var activity = consumed.Activity!;
            Assert.Same(activity, Activity.Current);
            Assert.Equal(ActivityKind.Consumer, activity.Kind);
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", activity.TraceId.ToHexString());
            Assert.Equal("b7ad6b7169203331", activity.ParentSpanId.ToHexString());
            Assert.Equal("acme", Baggage.GetBaggage("tenant"));
            Assert.Null(Baggage.GetBaggage("worker"));
            Assert.Equal("b7ad6b7169203331", consumed.Context.ActivityContext.SpanId.ToHexString());
            Assert.Equal("acme", consumed.Context.Baggage.GetBaggage("tenant"));
        }

        Assert.Same(polling, Activity.Current);
        Assert.Equal("w1", Baggage.GetBaggage("worker"));
        Assert.Null(Baggage.GetBaggage("tenant"));
        return Task.CompletedTask;
    });

    [Fact]
    public Task Message_without_headers_starts_a_new_root_not_a_child_of_the_polling_loop() => InOwnFlow(() =>
    {
        using var polling = Source.StartActivity("poll")!;

        using (var consumed = ConsumerScope.Start(Source, "orders process", W3C, new List<(string Key, byte[] Value)>()))
        {
            var activity = consumed.Activity!;
            Assert.Equal(default, activity.ParentSpanId);
            Assert.Null(activity.Parent);
            Assert.NotEqual(polling.TraceId, activity.TraceId);
            Assert.Equal(0, Baggage.Current.Count);
        }

        Assert.Same(polling, Activity.Current);
        return Task.CompletedTask;
    });

    [Fact]
    public Task Broken_headers_attach_nothing_and_throw_nothing() => InOwnFlow(() =>
    {
        Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["worker"] = "w1" });

        using (var consumed = ConsumerScope.Start(Source, "orders process", W3C, new CarriersTests.ThrowingPairs(throwAfter: 1)))
        {
            Assert.Equal(default, consumed.Context);
            Assert.Null(consumed.Activity!.Parent);
            Assert.Equal(default, consumed.Activity.ParentSpanId);
            Assert.Equal(0, Baggage.Current.Count);
        }

        Assert.Equal("w1", Baggage.GetBaggage("worker"));
        return Task.CompletedTask;
    });

    [Fact]
    public Task Generic_carrier_and_byte_headers_work_the_same() => InOwnFlow(() =>
    {
        var bytes = new List<(string Key, byte[] Value)> { ("traceparent", Encoding.UTF8.GetBytes(TraceParentB)) };
        using (var consumed = ConsumerScope.Start(Source, "a", W3C, bytes))
        {
            Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", consumed.Activity!.TraceId.ToHexString());
        }

        var custom = new Dictionary<string, string> { ["traceparent"] = TraceParentA };
        using (var consumed = ConsumerScope.Start(Source, "b", W3C, custom, Get, ActivityKind.Server))
        {
            Assert.Equal(ActivityKind.Server, consumed.Activity!.Kind);
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", consumed.Activity.TraceId.ToHexString());
        }

        Assert.Null(Activity.Current);
        return Task.CompletedTask;
    });

    [Fact]
    public Task Unsampled_source_still_attaches_and_restores_baggage() => InOwnFlow(() =>
    {
        using var unsampled = new ActivitySource("ContextAnalyzers.Tests.NobodyListens");
        using (var consumed = ConsumerScope.Start(unsampled, "a", W3C, new Dictionary<string, string> { ["baggage"] = "tenant=acme" }))
        {
            Assert.Null(consumed.Activity);
            Assert.Equal("acme", Baggage.GetBaggage("tenant"));
        }

        Assert.Equal(0, Baggage.Current.Count);
        Assert.Null(Activity.Current);
        default(ConsumerScope).Dispose();
        return Task.CompletedTask;
    });

    [Fact]
    public Task A_leak_inside_the_scope_is_reported_and_everything_is_still_restored() => InOwnFlow(() =>
    {
        using var events = new RuntimeEvents();
        using var polling = Source.StartActivity("poll")!;
        Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["worker"] = "w1" });
        var consumed = ConsumerScope.Start(Source, "orders process", W3C, new Dictionary<string, string> { ["traceparent"] = TraceParentA });
        _ = ContextScope.SetBaggage("leaked", "yes"); // never disposed: the consumer's baggage is no longer current
        consumed.Dispose();
        Assert.Equal("Baggage", Assert.Single(events.Named("ScopeMismatch")).Payload![0]);

        Assert.Same(polling, Activity.Current);
        Assert.Equal("w1", Baggage.GetBaggage("worker"));
        Assert.Null(Baggage.GetBaggage("leaked"));
        return Task.CompletedTask;
    });

    [Fact]
    public async Task Thousands_of_concurrent_messages_each_see_only_their_own_context()
    {
        await InOwnFlow(async () =>
        {
            Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["outer"] = "yes" });
            var failures = 0;
            var tasks = Enumerable.Range(0, 2000).Select(i => Task.Run(async () =>
            {
                var traceId = ActivityTraceId.CreateRandom();
                var headers = new Dictionary<string, string>
                {
                    ["traceparent"] = $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01",
                    ["baggage"] = "id=" + i,
                };
                using (var consumed = ConsumerScope.Start(Source, "process", W3C, headers))
                {
                    await Task.Yield();
                    if (Activity.Current?.TraceId != traceId || Baggage.GetBaggage("id") != i.ToString() || Baggage.GetBaggage("outer") is not null)
                    {
                        Interlocked.Increment(ref failures);
                    }

                    await Task.Delay(1);
                    if (Activity.Current != consumed.Activity || Baggage.GetBaggage("id") != i.ToString())
                    {
                        Interlocked.Increment(ref failures);
                    }
                }

                if (Activity.Current is not null || Baggage.GetBaggage("outer") != "yes" || Baggage.GetBaggage("id") is not null)
                {
                    Interlocked.Increment(ref failures);
                }
            }));
            await Task.WhenAll(tasks);

            Assert.Equal(0, failures);
            Assert.Equal("yes", Baggage.GetBaggage("outer"));
            Assert.Null(Baggage.GetBaggage("id"));
        });
    }
}
