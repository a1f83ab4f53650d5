using System.Text;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// The propagator facts CTX303 and the baggage policy stand on, proved on the real OpenTelemetry BaggagePropagator,
/// and the policy's accounting checked against it (the policy admits exactly what the propagator sends).
/// </summary>
public class BaggagePolicyFactsTests
{
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
    public void Percent_encoding_counts_towards_the_limit()
    {
        // A space is sent as %20: 2730 spaces + "k=" = 8192 bytes, 2731 spaces = 8195.
        Assert.Equal(8192, Inject(Of(("k", new string(' ', 2730))))!.Length);
        Assert.Null(Inject(Of(("k", new string(' ', 2731)))));
        Assert.Equal("k=a%20b%2Cc%3Bd=%C3%A9%E2%82%AC", Inject(Of(("k", "a b,c;d=é€"))));
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
        Assert.DoesNotContain("not", header, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user id")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("a=b")]
    [InlineData("é")]
    public void Keys_that_are_not_tokens_are_skipped(string key)
    {
        Assert.Equal("ok=1", Inject(Of((key, "x"), ("ok", "1"))));
    }

    [Fact]
    public void Policy_admits_exactly_what_the_propagator_sends_for_random_values()
    {
        var random = new Random(5);
        var alphabet = "aZ09 -_.,;%\"\\=é€😀\u00ff\t".ToCharArray();
        for (var round = 0; round < 200; round++)
        {
            var sb = new StringBuilder();
            var length = random.Next(1, 40);
            for (var i = 0; i < length; i++)
            {
                sb.Append(alphabet[random.Next(alphabet.Length)]);
            }

            var value = sb.ToString();
            var header = Inject(Of(("key", value)))!;

            // A policy whose limit is the exact header length admits the entry; one byte less drops it.
            var fits = new BaggagePolicy(new BaggagePolicyOptions { MaxTotalBytes = header.Length }).Apply(Of(("key", value)));
            var over = new BaggagePolicy(new BaggagePolicyOptions { MaxTotalBytes = header.Length - 1 }).Apply(Of(("key", value)));
            Assert.Equal(value, fits.GetBaggage("key"));
            Assert.Null(over.GetBaggage("key"));
        }
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
