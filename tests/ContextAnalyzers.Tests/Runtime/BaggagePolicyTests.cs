using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using ContextAnalyzers.Runtime;
using OpenTelemetry;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>The runtime baggage policy: limits at the exact boundaries, sensitive keys, pseudonyms, reporting, concurrency.</summary>
public class BaggagePolicyTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static BaggagePolicy Policy(Action<BaggagePolicyOptions>? configure = null)
    {
        var options = new BaggagePolicyOptions { HashKey = Key };
        configure?.Invoke(options);
        return new BaggagePolicy(options);
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a child task that cuts loose from any baggage holder it inherited (a child's
    /// static SetBaggage would otherwise mutate a holder shared with its parent), so tests never share baggage.
    /// </summary>
    private static T Isolated<T>(Func<T> body) => Task.Run(() =>
    {
        CutLoose();
        Assert.Equal(0, Baggage.Current.Count);
        return body();
    }).GetAwaiter().GetResult();

    private static void CutLoose()
    {
        // Baggage's static constructor registers the slot.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(Baggage).TypeHandle);
        OpenTelemetry.Context.RuntimeContext.SetValue("otel.baggage", null);
    }

    // ------------------------------------------------------------------ limits

    [Fact]
    public void Entry_of_exactly_8192_bytes_is_kept_one_byte_more_is_dropped()
    {
        var policy = Policy();
        Assert.Equal(8190, Isolated(() => policy.SetBaggage("k", new string('x', 8190)).GetBaggage("k")!.Length));
        Assert.Null(Isolated(() => policy.SetBaggage("k", new string('x', 8191)).GetBaggage("k")));
    }

    [Fact]
    public void Total_counts_commas_and_percent_encoding()
    {
        var policy = Policy();
        var (fits, over) = Isolated(() =>
        {
            // "a=1" + "," + "k=" + 2728 * 3 ("%2C", in every propagator version) + "xx" = 8192.
            var start = Baggage.Create(new Dictionary<string, string> { ["a"] = "1" });
            var fits = policy.SetBaggage("k", new string(',', 2728) + "xx", start);
            var over = policy.SetBaggage("k", new string(',', 2728) + "xxx", start);
            return (fits, over);
        });
        Assert.Equal(2, fits.Count);
        Assert.Equal(8192, BaggagePolicyFactsTests.Inject(fits)!.Length);
        Assert.Equal(1, over.Count);
        Assert.Equal("1", over.GetBaggage("a"));
    }

    [Fact]
    public void Replacing_an_entry_does_not_count_it_twice()
    {
        var policy = Policy();
        var result = Isolated(() =>
        {
            policy.SetBaggage("k", new string('x', 8190));
            return policy.SetBaggage("k", new string('y', 8190));
        });
        Assert.Equal(new string('y', 8190), result.GetBaggage("k"));
    }

    [Fact]
    public void Entry_180_is_kept_entry_181_is_dropped()
    {
        var policy = Policy();
        var items = Enumerable.Range(0, 181).Select(i => new KeyValuePair<string, string?>("k" + i, "v")).ToList();
        var result = Isolated(() => policy.SetBaggage(items));
        Assert.Equal(180, result.Count);
        Assert.Null(result.GetBaggage("k180"));
        Assert.Equal("v", result.GetBaggage("k179"));
        Assert.Equal(180, BaggagePolicyFactsTests.Inject(result)!.Split(',').Length);
    }

    [Fact]
    public void Apply_keeps_what_the_propagator_would_send_and_drops_the_rest()
    {
        var d = Enumerable.Range(0, 200).ToDictionary(i => "k" + i, _ => "v");
        d["bad key"] = "x";
        var applied = Policy().Apply(Baggage.Create(d));
        Assert.Equal(180, applied.Count);
        Assert.Null(applied.GetBaggage("bad key"));
    }

    [Fact]
    public void Null_or_empty_value_removes_like_Baggage_SetBaggage()
    {
        var policy = Policy();
        var result = Isolated(() =>
        {
            policy.SetBaggage("k", "v");
            return policy.SetBaggage("k", null);
        });
        Assert.Equal(0, result.Count);
    }

    [Fact]
    public void Static_and_explicit_baggage_forms_set_current_like_Baggage_SetBaggage()
    {
        var policy = Policy();
        var (current, returned) = Isolated(() =>
        {
            var start = Baggage.Create(new Dictionary<string, string> { ["a"] = "1" });
            var r = policy.SetBaggage("b", "2", start);
            return (Baggage.Current, r);
        });
        Assert.Equal(returned, current);
        Assert.Equal("1", current.GetBaggage("a"));
        Assert.Equal("2", current.GetBaggage("b"));
    }

    // ------------------------------------------------------------------ keys

    [Theory]
    [InlineData("user id")]
    [InlineData("a/b")]
    [InlineData("café")]
    public void Invalid_keys_are_dropped_even_when_redaction_is_chosen(string key)
    {
        var policy = Policy(o => o.OnInvalidKey = BaggageViolationAction.Redact);
        Assert.Null(Isolated(() => policy.SetBaggage(key, "v").GetBaggage(key)));
    }

    [Fact]
    public void Throw_action_throws_for_tests()
    {
        var policy = Policy(o =>
        {
            o.OnInvalidKey = BaggageViolationAction.Throw;
            o.OnLimitExceeded = BaggageViolationAction.Throw;
            o.OnSensitiveKey = BaggageViolationAction.Throw;
        });
        Assert.Throws<InvalidOperationException>(() => Isolated(() => policy.SetBaggage("a b", "v")));
        Assert.Throws<InvalidOperationException>(() => Isolated(() => policy.SetBaggage("k", new string('x', 9000))));
        var ex = Assert.Throws<InvalidOperationException>(() => Isolated(() => policy.SetBaggage("user.password", "v")));
        Assert.Contains("SensitiveKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_value_can_be_redacted_or_hashed_instead_of_dropped()
    {
        var redacted = Policy(o => o.OnLimitExceeded = BaggageViolationAction.Redact);
        var hashed = Policy(o => o.OnLimitExceeded = BaggageViolationAction.Hash);
        Assert.Equal(BaggagePolicy.RedactedValue, Isolated(() => redacted.SetBaggage("k", new string('x', 9000)).GetBaggage("k")));
        Assert.Equal(hashed.Hash(new string('x', 9000)), Isolated(() => hashed.SetBaggage("k", new string('x', 9000)).GetBaggage("k")));
    }

    // ------------------------------------------------------------------ sensitive keys (same list as CTX301)

    [Theory]
    [InlineData("user.email", true)]
    [InlineData("authToken", true)]
    [InlineData("X-Api-Key", true)]
    [InlineData("session_id", true)]
    [InlineData("session.id", true)]
    [InlineData("sessionKey", true)]
    [InlineData("session_token", true)]
    [InlineData("card_number", true)]
    [InlineData("tokenizer", false)]
    [InlineData("passwordQuestionId", false)]
    [InlineData("emailTemplate", false)]
    [InlineData("tenant.id", false)]
    [InlineData("correlation.id", false)]
    [InlineData("session.resumed", false)]
    [InlineData("session.count", false)]
    [InlineData("customer.tier", false)]
    public void Sensitive_keys_match_by_words(string key, bool sensitive)
    {
        Assert.Equal(sensitive, Policy().IsSensitiveKey(key));
    }

    [Fact]
    public void Sensitive_words_can_be_added_removed_and_allowed()
    {
        var policy = Policy(o =>
        {
            o.AddedSensitiveWords.Add("patient id");
            o.RemovedSensitiveWords.Add("address");
            o.AllowedKeys.Add("user.email.verified.email");
        });
        Assert.True(policy.IsSensitiveKey("patientId"));
        Assert.True(policy.IsSensitiveKey("password"));
        Assert.False(policy.IsSensitiveKey("shipping.address"));
        Assert.False(policy.IsSensitiveKey("user.email.verified.email"));
        Assert.True(policy.IsSensitiveKey("user.email"));
    }

    [Fact]
    public void Sensitive_key_values_are_pseudonymised_by_default_and_correlate()
    {
        var policy = Policy();
        var value = Isolated(() => policy.SetBaggage("user.email", "ann@example.com").GetBaggage("user.email"));
        Assert.NotEqual("ann@example.com", value);
        Assert.Equal(policy.Hash("ann@example.com"), value);
        Assert.Equal("v", Isolated(() => policy.SetBaggage("tenant.id", "v").GetBaggage("tenant.id")));
    }

    [Fact]
    public void Default_list_covers_the_documented_categories()
    {
        var required = new[]
        {
            "password", "passwd", "pwd", "secret", "token", "api key", "authorization", "bearer", "cookie", "session id",
            "credential", "private key", "signature", "otp", "email", "phone", "ssn", "national id", "passport", "birth date",
            "dob", "address", "first name", "last name", "full name", "ip address", "card number", "pan", "cvv", "iban",
            "account number",
        };
        Assert.All(required, w => Assert.Contains(w, BaggagePolicy.DefaultSensitiveWords));

        var doc = File.ReadAllText(ContextAnalyzers.Tests.Meta.RepoPaths.Combine("docs", "sensitive-words.md"));
        Assert.All(BaggagePolicy.DefaultSensitiveWords, w => Assert.Contains("`" + w + "`", doc, StringComparison.Ordinal));
    }

    // ------------------------------------------------------------------ pseudonyms

    [Fact]
    public void Hash_is_a_truncated_keyed_hmac_in_base64url()
    {
        var policy = Policy();
        var h = policy.Hash("ann@example.com");
        Assert.Equal(22, h.Length);
        Assert.Matches("^[A-Za-z0-9_-]+$", h);
        Assert.Equal(h, Policy().Hash("ann@example.com"));

        using var hmac = new System.Security.Cryptography.HMACSHA256(Key);
        var expected = Convert.ToBase64String(hmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes("ann@example.com")), 0, 16)
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(expected, h);

        var otherKey = new BaggagePolicy(new BaggagePolicyOptions { HashKey = Enumerable.Repeat((byte)7, 32).ToArray(), HashBytes = 32 });
        Assert.NotEqual(h, otherKey.Hash("ann@example.com")[..22]);
        Assert.Equal(43, otherKey.Hash("x").Length);
        Assert.Null(policy.Hash(null));
    }

    [Fact]
    public void Without_a_key_pseudonyms_are_redacted_never_a_bare_hash()
    {
        var policy = new BaggagePolicy(new BaggagePolicyOptions { HashKey = null });
        if (Environment.GetEnvironmentVariable(BaggagePolicy.HashKeyEnvironmentVariable) is null)
        {
            Assert.False(policy.HasHashKey);
            Assert.Equal(BaggagePolicy.RedactedValue, policy.Hash("ann@example.com"));
        }

        Assert.Throws<ArgumentException>(() => new BaggagePolicy(new BaggagePolicyOptions { HashKey = new byte[8] }));
        Assert.Throws<ArgumentException>(() => new BaggagePolicy(new BaggagePolicyOptions { HashKey = Key, HashBytes = 4 }));
    }

    [Fact]
    public void Default_policy_is_one_fixed_instance_and_Pseudonymize_uses_it()
    {
        var before = BaggagePolicy.Default;
        Assert.Same(before, BaggagePolicy.Default);
        Assert.Null(typeof(BaggagePolicy).GetProperty(nameof(BaggagePolicy.Default))!.SetMethod);
        Assert.Null(BaggagePolicy.Pseudonymize(null));
        Assert.Equal(before.Hash("x"), BaggagePolicy.Pseudonymize("x"));
    }

    [Fact]
    public void Options_read_the_key_from_the_environment_and_code_wins()
    {
        var encoded = Convert.ToBase64String(Key);
        string? Env(string name) => name == BaggagePolicy.HashKeyEnvironmentVariable ? encoded : null;
        var fromEnvironment = new BaggagePolicyOptions(Env);
        Assert.Equal(Key, fromEnvironment.HashKey);
        Assert.Equal(new BaggagePolicy(new BaggagePolicyOptions { HashKey = Key }).Hash("x"), new BaggagePolicy(fromEnvironment).Hash("x"));

        var overridden = new BaggagePolicyOptions(Env) { HashKey = null };
        Assert.False(new BaggagePolicy(overridden).HasHashKey);

        Assert.Null(new BaggagePolicyOptions(_ => "not base64!").HashKey);
        Assert.Null(new BaggagePolicyOptions(_ => Convert.ToBase64String(new byte[8])).HashKey); // too short
        Assert.Null(new BaggagePolicyOptions(_ => "  ").HashKey);
    }

    // ------------------------------------------------------------------ reporting

    private static readonly AsyncLocal<List<(long Value, string Violation, string Action)>?> Measured = new();

    [Fact]
    public void Drops_and_redactions_are_counted_on_the_meter()
    {
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BaggagePolicy.MeterName && instrument.Name == BaggagePolicy.ViolationsCounterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) =>
        {
            // Callbacks run on the recording thread: only this test's context collects.
            var sink = Measured.Value;
            if (sink is null)
            {
                return;
            }

            string? violation = null, action = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "violation")
                {
                    violation = tag.Value as string;
                }
                else if (tag.Key == "action")
                {
                    action = tag.Value as string;
                }
            }

            sink.Add((value, violation!, action!));
        });
        listener.Start();

        var sink = new List<(long, string, string)>();
        Measured.Value = sink;
        try
        {
            var policy = Policy(o => o.OnSensitiveKey = BaggageViolationAction.Redact);
            policy.Apply(Baggage.Create(new Dictionary<string, string> { ["a b"] = "1", ["big"] = new string('x', 9000), ["password"] = "p", ["ok"] = "1" }));
        }
        finally
        {
            Measured.Value = null;
        }

        Assert.Contains((1L, "invalid_key", "drop"), sink);
        Assert.Contains((1L, "too_large", "drop"), sink);
        Assert.Contains((1L, "sensitive_key", "redact"), sink);
        Assert.Equal(3, sink.Count);
    }

    private sealed class Listener : EventListener
    {
        public List<string> Keys { get; } = new();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "ContextAnalyzers-Baggage")
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventId == 1 && eventData.Payload is { Count: 3 } payload)
            {
                lock (Keys)
                {
                    Keys.Add($"{payload[0]}|{payload[1]}|{payload[2]}");
                }
            }
        }
    }

    [Fact]
    public void Drops_are_written_to_the_event_source_with_the_key_never_the_value()
    {
        using var listener = new Listener();
        var key = "unique.key.for.event.test " + Guid.NewGuid().ToString("N");
        Policy().Apply(Baggage.Create(new Dictionary<string, string> { [key] = "secret-value" }));
        lock (listener.Keys)
        {
            Assert.Contains($"{key}|invalid_key|drop", listener.Keys);
            Assert.DoesNotContain(listener.Keys, k => k.Contains("secret-value", StringComparison.Ordinal));
        }
    }

    // ------------------------------------------------------------------ concurrency

    [Fact]
    public async Task Thousands_of_concurrent_tasks_each_see_only_their_own_baggage()
    {
        var policy = Policy();
        var tasks = new List<Task<bool>>();
        {
            for (var i = 0; i < 2000; i++)
            {
                var id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                tasks.Add(Task.Run(async () =>
                {
                    CutLoose();
                    policy.SetBaggage("task.id", id);
                    policy.SetBaggage("user.email", id + "@example.com");
                    await Task.Yield();
                    policy.SetBaggage(new[] { new KeyValuePair<string, string?>("step", "2"), new KeyValuePair<string, string?>("bad key", "x") });
                    await Task.Delay(1);
                    var current = Baggage.Current;
                    return current.GetBaggage("task.id") == id &&
                           current.GetBaggage("user.email") == policy.Hash(id + "@example.com") &&
                           current.GetBaggage("step") == "2" &&
                           current.GetBaggage("bad key") is null &&
                           current.Count == 3;
                }));
            }
        }

        var results = await Task.WhenAll(tasks);
        Assert.All(results, Assert.True);
    }

    [Fact]
    public async Task Apply_and_Hash_are_thread_safe_on_a_shared_baggage()
    {
        var policy = Policy();
        var shared = Baggage.Create(Enumerable.Range(0, 300).ToDictionary(i => "k" + i, i => "v" + i));
        var expectedHash = policy.Hash("same");
        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() =>
            policy.Apply(shared).Count == 180 && policy.Hash("same") == expectedHash)));
        Assert.All(results, Assert.True);
    }
}
