using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>The scope helpers apply a <see cref="BaggagePolicy"/> when given one, and still restore what they replaced.</summary>
public class ContextScopePolicyTests
{
    [Fact]
    public async Task Policy_scope_drops_a_non_token_key_and_restores_the_previous_baggage()
    {
        await Task.Run(() =>
        {
            _ = Baggage.Current; // registers the slot
            RuntimeContext.SetValue("otel.baggage", null);
            Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["tenant.id"] = "t1" });
            var policy = new BaggagePolicy(new BaggagePolicyOptions { OnInvalidKey = BaggageViolationAction.Drop });
            using (ContextScope.SetBaggage("bad key", "v", policy))
            {
                Assert.Null(Baggage.Current.GetBaggage("bad key"));
                Assert.Equal("t1", Baggage.Current.GetBaggage("tenant.id"));
            }

            Assert.Equal("t1", Baggage.Current.GetBaggage("tenant.id"));
            Assert.Single(Baggage.Current.GetBaggage());
        });
    }

    [Fact]
    public async Task Policy_scope_redacts_a_sensitive_key_and_keeps_the_others()
    {
        await Task.Run(() =>
        {
            _ = Baggage.Current; // registers the slot
            RuntimeContext.SetValue("otel.baggage", null);
            var policy = new BaggagePolicy(new BaggagePolicyOptions { OnSensitiveKey = BaggageViolationAction.Redact });
            var items = new[]
            {
                new KeyValuePair<string, string?>("user.email", "someone@example.com"),
                new KeyValuePair<string, string?>("region", "eu"),
            };
            using (ContextScope.SetBaggage(items, policy))
            {
                Assert.Equal(BaggagePolicy.RedactedValue, Baggage.Current.GetBaggage("user.email"));
                Assert.Equal("eu", Baggage.Current.GetBaggage("region"));
            }

            Assert.Empty(Baggage.Current.GetBaggage());
        });
    }

    [Fact]
    public void Null_policy_is_rejected_before_anything_changes()
    {
        var before = Baggage.Current;
        Assert.Throws<ArgumentNullException>(() => ContextScope.SetBaggage("k", "v", (BaggagePolicy)null!));
        Assert.Equal(before, Baggage.Current);
    }
}
