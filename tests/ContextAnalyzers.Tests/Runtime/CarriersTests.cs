using System.Collections;
using System.Diagnostics;
using System.Text;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using static ContextAnalyzers.Tests.Runtime.FactsTests_Propagation;

namespace ContextAnalyzers.Tests.Runtime;

[Collection(nameof(ContextScopeCollection))]
public class CarriersTests
{
    private static Baggage TenantBaggage(string tenant) => Baggage.Create(new Dictionary<string, string> { ["tenant"] = tenant });

    [Fact]
    public Task Dictionary_round_trip_carries_trace_and_baggage() => InOwnFlow(() =>
    {
        using var activity = Source.StartActivity("publish")!;
        Baggage.Current = TenantBaggage("acme");
        var headers = new Dictionary<string, string>();

        W3C.InjectCurrent(headers);
        var extracted = W3C.Extract(headers);

        Assert.Equal(activity.Id, headers["traceparent"]);
        Assert.Equal(activity.TraceId, extracted.ActivityContext.TraceId);
        Assert.Equal(activity.SpanId, extracted.ActivityContext.SpanId);
        Assert.True(extracted.ActivityContext.IsRemote);
        Assert.Equal("acme", extracted.Baggage.GetBaggage("tenant"));
        return Task.CompletedTask;
    });

    [Fact]
    public Task Byte_header_list_round_trip_is_utf8_and_replaces_stale_headers() => InOwnFlow(() =>
    {
        using var activity = Source.StartActivity("publish")!;
        Baggage.Current = TenantBaggage("zürich");
        var headers = new List<(string Key, byte[] Value)> { ("traceparent", Encoding.UTF8.GetBytes(TraceParentB)), ("message-id", new byte[] { 1 }) };

        W3C.InjectCurrent(headers);
        W3C.InjectCurrent(headers);
        var extracted = W3C.Extract(headers);

        Assert.Single(headers, h => h.Key == "traceparent");
        Assert.Single(headers, h => h.Key == "message-id");
        Assert.Equal(activity.Id, Encoding.UTF8.GetString(headers.Single(h => h.Key == "traceparent").Value));
        Assert.Equal(activity.TraceId, extracted.ActivityContext.TraceId);
        Assert.Equal("zürich", extracted.Baggage.GetBaggage("tenant"));
        return Task.CompletedTask;
    });

    [Fact]
    public Task Header_collections_that_are_not_lists_are_updated_too() => InOwnFlow(() =>
    {
        using var activity = Source.StartActivity("publish")!;
        var headers = new HashSet<(string Key, byte[] Value)> { ("TraceParent", Encoding.UTF8.GetBytes(TraceParentB)) };

        W3C.InjectCurrent(headers);

        Assert.Equal(activity.Id, Encoding.UTF8.GetString(headers.Single(h => h.Key.Equals("traceparent", StringComparison.OrdinalIgnoreCase)).Value));
        return Task.CompletedTask;
    });

    [Fact]
    public void Pairs_are_matched_without_regard_to_case()
    {
        var pairs = new List<KeyValuePair<string, string>> { new("TraceParent", TraceParentA), new("Baggage", "tenant=acme") };

        var extracted = W3C.Extract(pairs);

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", extracted.ActivityContext.TraceId.ToHexString());
        Assert.Equal("acme", extracted.Baggage.GetBaggage("tenant"));
    }

    [Fact]
    public void Dictionaries_are_matched_without_regard_to_case_whatever_their_comparer()
    {
        // The Dictionary fast path: an exact key, a key in another case under the default comparer (found by the scan),
        // and a case-insensitive dictionary whose miss is final.
        var exact = new Dictionary<string, string> { ["traceparent"] = TraceParentA, ["baggage"] = "tenant=acme" };
        var otherCase = new Dictionary<string, string> { ["TraceParent"] = TraceParentA, ["BAGGAGE"] = "tenant=acme" };
        var ignoringCase = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["TRACEPARENT"] = TraceParentA };

        foreach (var carrier in new[] { exact, otherCase, ignoringCase })
        {
            var extracted = W3C.Extract(carrier);
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", extracted.ActivityContext.TraceId.ToHexString());
            Assert.Equal(ReferenceEquals(carrier, ignoringCase) ? null : "acme", extracted.Baggage.GetBaggage("tenant"));
        }
    }

    [Fact]
    public Task Without_a_current_activity_no_traceparent_is_written_but_baggage_is() => InOwnFlow(() =>
    {
        Baggage.Current = TenantBaggage("acme");
        var headers = new Dictionary<string, string>();

        W3C.InjectCurrent(headers);

        Assert.False(headers.ContainsKey("traceparent"));
        Assert.Equal("tenant=acme", headers["baggage"]);
        return Task.CompletedTask;
    });

    [Theory]
    [InlineData("00-zzzz7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("garbage")]
    [InlineData("")]
    public void Malformed_traceparent_gives_no_parent_and_no_exception(string value)
    {
        var extracted = W3C.Extract(new Dictionary<string, string> { ["traceparent"] = value, ["baggage"] = "tenant=acme" });

        Assert.Equal(default, extracted.ActivityContext);
        Assert.Equal("acme", extracted.Baggage.GetBaggage("tenant"));
    }

    [Fact]
    public void Invalid_utf8_and_oversized_headers_are_ignored()
    {
        var invalid = new List<(string Key, byte[] Value)> { ("traceparent", new byte[] { 0xC3, 0x28, 0xFF, 0xFE }), ("baggage", new byte[] { 0xFF }) };
        var oversized = new List<(string Key, byte[] Value)>
        {
            ("traceparent", Encoding.UTF8.GetBytes(TraceParentA)),
            ("baggage", Encoding.UTF8.GetBytes("tenant=acme," + string.Join(",", Enumerable.Range(0, 2000).Select(i => "k" + i + "=v")))),
        };

        var fromInvalid = W3C.Extract(invalid);
        var fromOversized = W3C.Extract(oversized);

        Assert.Equal(default, fromInvalid.ActivityContext);
        Assert.Equal(0, fromInvalid.Baggage.Count);
        Assert.True(oversized[1].Value.Length > Carriers.MaxHeaderValueLength);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", fromOversized.ActivityContext.TraceId.ToHexString());
        Assert.Equal(0, fromOversized.Baggage.Count);
    }

    [Fact]
    public void A_carrier_that_throws_gives_default_not_half_a_context()
    {
        var extracted = W3C.Extract(new ThrowingPairs(throwAfter: 1));

        Assert.Equal(default, extracted);
    }

    [Fact]
    public void A_propagator_that_throws_gives_default_and_is_reported_on_the_event_source()
    {
        using var events = new RuntimeEvents();
        var extracted = new ThrowingPropagator().Extract(new Dictionary<string, string> { ["traceparent"] = TraceParentA });

        Assert.Equal(default, extracted);

        // Swallowed, but not silently: the self-diagnostics event source says which propagator and what was thrown.
        var written = Assert.Single(events.Named("ExtractFailed"));
        Assert.Equal(typeof(ThrowingPropagator).FullName, written.Payload![0]);
        Assert.Equal(typeof(FormatException).FullName, written.Payload[1]);
        Assert.Equal("bad header", written.Payload[2]);
    }

    private sealed class ThrowingPropagator : TextMapPropagator
    {
        public override ISet<string>? Fields => null;

        public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter)
            => throw new FormatException("bad header");

        public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
        {
        }
    }

    [Fact]
    public void A_readable_carrier_writes_no_event()
    {
        using var events = new RuntimeEvents();
        _ = W3C.Extract(new Dictionary<string, string> { ["traceparent"] = "garbage" });
        _ = W3C.Extract((IEnumerable<KeyValuePair<string, string>>?)null);
        Assert.Empty(events.Events);
    }

    [Fact]
    public void Null_and_absent_carriers_give_default()
    {
        Assert.Equal(default, W3C.Extract((IEnumerable<KeyValuePair<string, string>>?)null));
        Assert.Equal(default, W3C.Extract((IEnumerable<(string Key, byte[] Value)>?)null));
        Assert.Equal(default, W3C.Extract(new Dictionary<string, string>()));
        Assert.Throws<ArgumentNullException>(() => ((TextMapPropagator)null!).Extract(new Dictionary<string, string>()));
    }

    /// <summary>Pairs whose enumeration fails part-way, as a broken broker client might.</summary>
    internal sealed class ThrowingPairs : IEnumerable<KeyValuePair<string, string>>
    {
        private readonly int throwAfter;

        public ThrowingPairs(int throwAfter) => this.throwAfter = throwAfter;

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
        {
            yield return new("traceparent", TraceParentA);
            for (var i = 0; ; i++)
            {
                if (i >= throwAfter)
                {
                    throw new InvalidOperationException("connection reset");
                }

                yield return new("baggage", "tenant=acme");
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
