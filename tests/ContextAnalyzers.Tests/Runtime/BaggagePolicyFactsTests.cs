using System.Text;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// The propagator facts CTX303 and the baggage policy stand on, proved on the real OpenTelemetry BaggagePropagator,
/// and the policy's accounting checked against it (the policy admits exactly what the propagator sends). Two
/// behaviours exist: OpenTelemetry 1.16 and later skip keys that are not tokens and percent-encode values (a space is
/// %20); 1.15.x URL-encodes keys and values (a space is '+', a key that is not a token is encoded and sent).
/// <c>bash eng/runtime-otel-versions.sh</c> runs these tests on both.
/// </summary>
public class BaggagePolicyFactsTests
{
    /// <summary>
    /// What the loaded OpenTelemetry.Api's version says the propagator does (its informational version, "1.15.3+sha"):
    /// the runtime detects the behaviour without reading it, the tests check the detection against it.
    /// </summary>
    internal static readonly bool UrlEncodingVersion = LoadedOpenTelemetryVersion() < new Version(1, 16);

    internal static Version LoadedOpenTelemetryVersion()
    {
        var text = typeof(Baggage).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        var end = text.IndexOfAny(['+', '-']);
        return Version.Parse(end < 0 ? text : text[..end]);
    }

    internal static string? Inject(Baggage baggage)
    {
        string? header = null;
        new BaggagePropagator().Inject(new PropagationContext(default, baggage), new object(), (_, name, value) =>
        {
            if (name == "baggage")
            {
                header = value;
            }
        });
        return header;
    }

    private static Baggage Of(params (string Key, string Value)[] items)
    {
        var d = new Dictionary<string, string>();
        foreach (var (k, v) in items)
        {
            d[k] = v;
        }

        return Baggage.Create(d);
    }

    [Fact]
    public void Single_entry_of_exactly_8192_bytes_is_sent_one_more_byte_sends_no_header()
    {
        Assert.Equal(8192, Inject(Of(("k", new string('x', 8190))))!.Length);
        Assert.Null(Inject(Of(("k", new string('x', 8191)))));
    }

    [Fact]
    public void The_propagator_behaviour_is_detected_as_the_loaded_version_has_it()
    {
        Assert.Equal(UrlEncodingVersion ? "a+b=c+d" : null, BaggageWire.InjectProbe());
        Assert.Equal(UrlEncodingVersion, BaggageWire.UrlEncoded);
        Assert.True(BaggageWire.IsUrlEncodedProbe("a+b=c+d"));
        Assert.False(BaggageWire.IsUrlEncodedProbe(null));
        Assert.False(BaggageWire.IsUrlEncodedProbe("a%20b=c%20d"));
    }

    [Fact]
    public void Encoding_counts_towards_the_limit()
    {
        // A comma is %2C in both behaviours: 2730 commas + "k=" = 8192 bytes, 2731 commas = 8195.
        Assert.Equal(8192, Inject(Of(("k", new string(',', 2730))))!.Length);
        Assert.Null(Inject(Of(("k", new string(',', 2731)))));

        // A space is %20 (3 bytes) from 1.16, '+' (1 byte) in 1.15.x.
        var spaces = UrlEncodingVersion ? 8190 : 2730;
        Assert.Equal(8192, Inject(Of(("k", new string(' ', spaces))))!.Length);
        Assert.Null(Inject(Of(("k", new string(' ', spaces + 1)))));
        Assert.Equal(
            UrlEncodingVersion ? "k=a+b%2Cc%3Bd%3D%C3%A9%E2%82%AC" : "k=a%20b%2Cc%3Bd=%C3%A9%E2%82%AC",
            Inject(Of(("k", "a b,c;d=é€"))));
    }

    [Fact]
    public void The_entry_that_would_cross_8192_stops_injection()
    {
        // "a=1" + "," + "k=" + 8186 = 8192: both sent. One more byte: only the first.
        Assert.Equal(8192, Inject(Of(("a", "1"), ("k", new string('x', 8186))))!.Length);
        Assert.Equal("a=1", Inject(Of(("a", "1"), ("k", new string('x', 8187)))));
    }

    [Fact]
    public void At_most_180_entries_are_sent_and_non_token_keys_are_skipped_without_counting()
    {
        var d = new Dictionary<string, string> { ["not a token"] = "x" };
        for (var i = 0; i < 181; i++)
        {
            d["k" + i] = "v";
        }

        var header = Inject(Baggage.Create(d))!;
        Assert.Equal(180, header.Split(',').Length);
        if (UrlEncodingVersion)
        {
            // 1.15.x sends the key encoded, and it takes one of the 180 places.
            Assert.StartsWith("not+a+token=x,k0=v,", header, StringComparison.Ordinal);
            Assert.DoesNotContain("k179=", header, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("not", header, StringComparison.Ordinal);
            Assert.EndsWith(",k179=v", header, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("user id", "user+id")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("a:b", "a%3Ab")]
    [InlineData("a=b", "a%3Db")]
    [InlineData("é", "%C3%A9")]
    public void Keys_that_are_not_tokens_are_skipped_from_1_16_and_url_encoded_before(string key, string urlEncoded)
    {
        Assert.Equal(UrlEncodingVersion ? urlEncoded + "=x,ok=1" : "ok=1", Inject(Of((key, "x"), ("ok", "1"))));
    }

    [Fact]
    public void Token_keys_are_sent_as_written_from_1_16_and_url_encoded_before()
    {
        // Tokens may hold characters URL-encoding escapes: the policy must count the key as the propagator writes it.
        Assert.Equal(UrlEncodingVersion ? "a%7E%2Bb=v" : "a~+b=v", Inject(Of(("a~+b", "v"))));
    }

    [Fact]
    public void Existing_entries_with_non_token_keys_take_room_only_where_they_are_sent()
    {
        var policy = new BaggagePolicy();
        var result = Task.Run(() =>
        {
            // Cut loose from any holder the test flow has (Baggage's static constructor registers the slot first).
            System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(Baggage).TypeHandle);
            OpenTelemetry.Context.RuntimeContext.SetValue("otel.baggage", null);
            var start = Baggage.Create(new Dictionary<string, string> { ["not a token"] = new string('x', 8000) });
            return policy.SetBaggage("k", new string('y', 300), start);
        }).GetAwaiter().GetResult();

        // Sent by 1.15.x, the old entry leaves no room for the new one; skipped from 1.16, it takes none.
        Assert.Equal(UrlEncodingVersion ? null : new string('y', 300), result.GetBaggage("k"));
        var header = Inject(result);
        Assert.Equal(UrlEncodingVersion, header is not null && header.StartsWith("not+a+token=", StringComparison.Ordinal));
    }

    [Fact]
    public void Policy_admits_exactly_what_the_propagator_sends_for_random_keys_and_values()
    {
        var random = new Random(5);
        var alphabet = "aZ09 -_.,;%\"\\=é€😀\u00ff\t!*()~+'".ToCharArray();
        var keyAlphabet = "aZ09-_.!#$%&'*+^`|~".ToCharArray();
        for (var round = 0; round < 200; round++)
        {
            var value = RandomText(random, alphabet, 40);
            var key = RandomText(random, keyAlphabet, 10);
            var header = Inject(Of((key, value)))!;

            // A policy whose limit is the exact header length admits the entry; one byte less drops it.
            var fits = new BaggagePolicy(new BaggagePolicyOptions { MaxTotalBytes = header.Length }).Apply(Of((key, value)));
            var over = new BaggagePolicy(new BaggagePolicyOptions { MaxTotalBytes = header.Length - 1 }).Apply(Of((key, value)));
            Assert.Equal(value, fits.GetBaggage(key));
            Assert.Null(over.GetBaggage(key));
        }
    }

    private static string RandomText(Random random, char[] alphabet, int maxLength)
    {
        var sb = new StringBuilder();
        var length = random.Next(1, maxLength);
        for (var i = 0; i < length; i++)
        {
            sb.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return sb.ToString();
    }

    [Fact]
    public void Policy_output_is_always_sent_in_full_by_the_propagator()
    {
        var random = new Random(7);
        for (var round = 0; round < 50; round++)
        {
            var d = new Dictionary<string, string>();
            var count = random.Next(1, 260);
            for (var i = 0; i < count; i++)
            {
                d["k" + i] = new string('€', random.Next(1, 60));
            }

            var applied = new BaggagePolicy().Apply(Baggage.Create(d));
            var header = Inject(applied);
            var sent = header is null ? 0 : header.Split(',').Length;
            Assert.Equal(applied.Count, sent);
            Assert.True(applied.Count <= 180);
            Assert.True(header is null || header.Length <= 8192);
        }
    }
}
