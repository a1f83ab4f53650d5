using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.Rules.CTX301SensitiveBaggageAnalyzer, ContextAnalyzers.Rules.CTX303BaggageDroppedCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX303: baggage the propagator will drop (certain: Warning; likely: Info through the effective severity).</summary>
public class CTX303BaggageDroppedTests
{
    private static string Wrap(string body, string members = "", bool runtimeUsing = false) => $$"""
        using System.Collections.Generic;
        using System.Linq;
        using System.Net.Http;
        using System.Security.Claims;
        using System.Text.Json;
        {{(runtimeUsing ? "using ContextAnalyzers.Runtime;\n" : "")}}using OpenTelemetry;

        class C
        {
        {{members}}
            void M(HttpRequestMessage request, ClaimsPrincipal user, Dictionary<string, string> settings, string[] roles, string tenant)
            {
        {{body}}
            }
        }
        """;

    private static string Big(int length) => new('x', length);

    [Theory]
    [InlineData("user id")]
    [InlineData("tenant/id")]
    [InlineData("a:b")]
    [InlineData("key=1")]
    [InlineData("café")]
    [InlineData("(x)")]
    public async Task Constant_key_that_is_not_a_token_is_a_warning(string key)
    {
        await Verify.VerifyAnalyzerAsync(
            Wrap($$"""        Baggage.SetBaggage({|#0:"{{key}}"|}, tenant);"""),
            Verify.Diagnostic("CTX303").WithLocation(0).WithSeverity(DiagnosticSeverity.Warning)
                .WithMessage($"The propagator will drop the key '{key}': it is not a W3C token (spaces, separators such as '/:;=@,' and non-ASCII characters are not allowed), so it is skipped without a log"));
    }

    [Theory]
    [InlineData("tenant.id")]
    [InlineData("ab.variant")]
    [InlineData("request.priority")]
    [InlineData("x-b3_flags~!#$%&'*+^`|")]
    public async Task Token_keys_are_silent(string key)
    {
        await Verify.VerifyAnalyzerAsync(Wrap($$"""        Baggage.SetBaggage("{{key}}", tenant);"""));
    }

    [Fact]
    public async Task Removals_are_silent()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    Baggage.SetBaggage("tenant id", null);
                    Baggage.SetBaggage("tenant id", "");
            """));
    }

    [Fact]
    public async Task Constant_value_over_the_limit_counts_the_key_the_equals_and_percent_encoding()
    {
        // "k=" + 8190 characters is exactly 8192: sent. One more and the header is not sent at all.
        await Verify.VerifyAnalyzerAsync(Wrap(
            """
                    Baggage.SetBaggage("k", Fits);
                    Baggage.SetBaggage("k", {|#0:TooBig|});
                    Baggage.SetBaggage("k", {|#1:Spaces|});
                    Baggage.SetBaggage("k", FitsEncoded);
            """,
            $$"""
                const string Fits = "{{Big(8190)}}";
                const string TooBig = "{{Big(8191)}}";
                const string Spaces = "{{new string(' ', 2731)}}";
                const string FitsEncoded = "{{new string(' ', 2730)}}";
            """),
            Verify.Diagnostic("CTX303").WithLocation(0).WithSeverity(DiagnosticSeverity.Warning)
                .WithMessage("The propagator will drop the entry 'k': it takes 8193 bytes once percent-encoded, over the 8192-byte header limit, so no baggage header is sent at all"),
            Verify.Diagnostic("CTX303").WithLocation(1).WithSeverity(DiagnosticSeverity.Warning)
                .WithMessage("The propagator will drop the entry 'k': it takes 8195 bytes once percent-encoded, over the 8192-byte header limit, so no baggage header is sent at all"));
    }

    [Fact]
    public async Task Loop_over_unbounded_collections_is_info()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    foreach (var header in request.Headers)
                    {
                        {|#0:Baggage.SetBaggage("h." + header.Key, header.Value.First())|};
                    }

                    foreach (var claim in user.Claims)
                    {
                        {|#1:Baggage.SetBaggage(claim.Type, claim.Value)|};
                    }

                    foreach (var claim in user.Claims)
                    {
                        Baggage.SetBaggage("last.claim", claim.Value);
                    }

                    foreach (var role in roles)
                    {
                        Baggage.SetBaggage("role." + role, "1");
                    }

                    var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri!.Query);
                    foreach (string? name in query)
                    {
                        {|#2:Baggage.SetBaggage("q." + name, query[name])|};
                    }
            """),
            Verify.Diagnostic("CTX303").WithLocation(2).WithSeverity(DiagnosticSeverity.Info),
            Verify.Diagnostic("CTX303").WithLocation(0).WithSeverity(DiagnosticSeverity.Info),
            Verify.Diagnostic("CTX303").WithLocation(1).WithSeverity(DiagnosticSeverity.Info)
                .WithMessage("The propagator will drop entries set in this loop: the loop over 'user.Claims' is unbounded and the propagator stops at 180 entries or 8192 bytes"));
    }

    private const string Items = "    List<string> items = new();";

    [Fact]
    public async Task Baggage_accumulated_per_iteration_of_a_loop_is_info()
    {
        await Verify.VerifyAnalyzerAsync(
            Wrap("""
                    var b = Baggage.Current;
                    foreach (var item in items)
                    {
                        b = {|#0:b.SetBaggage($"item.{item}", "1")|};
                    }

                    for (var i = 0; i < items.Count; i++)
                    {
                        b = {|#1:b.SetBaggage("item." + i, items[i])|};
                    }

                    var n = 0;
                    while (n < items.Count)
                    {
                        b = {|#2:b.SetBaggage($"n.{n}", "1")|};
                        n++;
                    }

                    var activity = System.Diagnostics.Activity.Current!;
                    foreach (var item in items)
                    {
                        {|#3:activity.AddBaggage($"item.{item}", "1")|};
                    }

                    Baggage.Current = b;
            """, Items),
            Verify.Diagnostic("CTX303").WithLocation(0).WithSeverity(DiagnosticSeverity.Info)
                .WithMessage("This loop adds a baggage entry per iteration, so the baggage grows with the data and the propagator stops at 180 entries or 8192 bytes, dropping the rest without a log"),
            Verify.Diagnostic("CTX303").WithLocation(1).WithSeverity(DiagnosticSeverity.Info),
            Verify.Diagnostic("CTX303").WithLocation(2).WithSeverity(DiagnosticSeverity.Info),
            Verify.Diagnostic("CTX303").WithLocation(3).WithSeverity(DiagnosticSeverity.Info)
                .WithMessage("This loop adds an activity baggage entry per iteration, so the baggage every child activity inherits and every outgoing call carries grows with the data"));
    }

    [Fact]
    public async Task Loops_that_do_not_accumulate_are_silent()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    var b = Baggage.Current;
                    var activity = System.Diagnostics.Activity.Current!;
                    foreach (var item in items)
                    {
                        b = b.SetBaggage("last.item", item);            // one key, overwritten
                        activity.AddBaggage("last.item", item);
                        var copy = b.SetBaggage($"item.{item}", "1");    // not stored back: nothing accumulates
                    }

                    foreach (var code in new[] { "a", "b", "c" })      // written out: bounded
                    {
                        b = b.SetBaggage($"code.{code}", "1");
                    }

                    foreach (var code in new List<string> { "a", "b" })
                    {
                        activity.AddBaggage($"code.{code}", "1");
                    }

                    foreach (var item in items)
                    {
                        b = b.SetBaggage($"first.{item}", "1");
                        break;                                           // one iteration
                    }

                    var prefix = tenant;
                    foreach (var item in items)
                    {
                        b = b.SetBaggage($"t.{prefix}", item);          // the same key each time
                        b = b.SetBaggage($"item.{item}", null);         // a removal
                    }

                    // Copying entries that already exist (a parent's or an incoming header's baggage) under their own keys:
                    // bounded by the source, propagation rather than accumulation.
                    var parent = System.Diagnostics.Activity.Current!.Parent!;
                    foreach (var entry in parent.Baggage)
                    {
                        activity.SetBaggage(entry.Key, entry.Value);
                    }

                    foreach (var entry in Baggage.Current.GetBaggage())
                    {
                        b = b.SetBaggage(entry.Key, entry.Value);
                    }

                    Baggage.Current = b;
            """, Items));
    }

    [Fact]
    public async Task Fix_applies_the_policy_to_accumulated_baggage()
    {
        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    var b = Baggage.Current;
                    foreach (var item in items)
                    {
                        b = {|#0:b.SetBaggage($"item.{item}", "1")|};
                    }

                    Baggage.Current = b;
            """, Items),
            Wrap("""
                    var b = Baggage.Current;
                    foreach (var item in items)
                    {
                        b = BaggagePolicy.Default.Apply(b.SetBaggage($"item.{item}", "1"));
                    }

                    Baggage.Current = b;
            """, Items, runtimeUsing: true),
            CTX303BaggageDroppedCodeFix.UsePolicyKey,
            Verify.Diagnostic("CTX303").WithLocation(0).WithSeverity(DiagnosticSeverity.Info));
    }

    [Fact]
    public async Task Serialised_values_are_info_fixed_lists_are_silent()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    Baggage.SetBaggage("settings", {|#0:JsonSerializer.Serialize(settings)|});
                    Baggage.SetBaggage("roles", {|#1:string.Join(",", roles)|});
                    Baggage.SetBaggage("pair", string.Join(",", tenant, "x"));
                    Baggage.SetBaggage("tenant", tenant);
            """),
            Verify.Diagnostic("CTX303").WithLocation(0).WithSeverity(DiagnosticSeverity.Info)
                .WithMessage("The propagator will drop the entry 'settings': its value is built by serialisation (JsonSerializer.Serialize), which grows with the data and can pass the 8192-byte header limit"),
            Verify.Diagnostic("CTX303").WithLocation(1).WithSeverity(DiagnosticSeverity.Info));
    }

    [Fact]
    public async Task Editorconfig_severity_applies_to_the_info_cases()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""        Baggage.SetBaggage("roles", {|#0:string.Join(",", roles)|});""");
        test.EditorConfig = "dotnet_diagnostic.CTX303.severity = error";
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX303").WithLocation(0).WithSeverity(DiagnosticSeverity.Error));
        await test.RunAsync();

        test = Verify.Create();
        test.TestCode = Wrap("""        Baggage.SetBaggage("roles", string.Join(",", roles));""");
        test.EditorConfig = "dotnet_diagnostic.CTX303.severity = none";
        await test.RunAsync();
    }

    [Fact]
    public async Task All_write_shapes_of_opentelemetry_baggage_are_checked_activity_baggage_is_not()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    var b = Baggage.Create(new Dictionary<string, string> { [{|#0:"tenant id"|}] = tenant });
                    b = b.SetBaggage({|#1:"tenant id"|}, tenant);
                    Baggage.SetBaggage(new[] { new KeyValuePair<string, string?>({|#2:"tenant id"|}, tenant) });
                    System.Diagnostics.Activity.Current?.AddBaggage("tenant id", tenant);
                    using var scope = ContextAnalyzers.Runtime.ContextScope.SetBaggage({|#3:"tenant id"|}, tenant);
            """),
            Verify.Diagnostic("CTX303").WithLocation(0),
            Verify.Diagnostic("CTX303").WithLocation(1),
            Verify.Diagnostic("CTX303").WithLocation(2),
            Verify.Diagnostic("CTX303").WithLocation(3));
    }

    [Fact]
    public async Task Fix_rewrites_static_writes_to_the_policy()
    {
        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    Baggage.SetBaggage({|CTX303:"tenant id"|}, tenant); // keep me
                    var current = Baggage.SetBaggage(name: {|CTX303:"a b"|}, value: tenant, baggage: Baggage.Current);
                    foreach (var claim in user.Claims)
                    {
                        {|CTX303:Baggage.SetBaggage(claim.Type, claim.Value)|};
                    }
            """),
            Wrap("""
                    BaggagePolicy.Default.SetBaggage("tenant id", tenant); // keep me
                    var current = BaggagePolicy.Default.SetBaggage(name: "a b", value: tenant, baggage: Baggage.Current);
                    foreach (var claim in user.Claims)
                    {
                        BaggagePolicy.Default.SetBaggage(claim.Type, claim.Value);
                    }
            """, runtimeUsing: true),
            CTX303BaggageDroppedCodeFix.UsePolicyKey);
    }

    [Fact]
    public async Task Fix_wraps_pure_writes_in_Apply()
    {
        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    var b = Baggage.Create(new Dictionary<string, string> { [{|CTX303:"tenant id"|}] = tenant });
                    b = b.SetBaggage("cart", {|CTX303:JsonSerializer.Serialize(settings)|});
            """),
            Wrap("""
                    var b = BaggagePolicy.Default.Apply(Baggage.Create(new Dictionary<string, string> { ["tenant id"] = tenant }));
                    b = BaggagePolicy.Default.Apply(b.SetBaggage("cart", JsonSerializer.Serialize(settings)));
            """, runtimeUsing: true),
            CTX303BaggageDroppedCodeFix.UsePolicyKey);
    }

    [Fact]
    public async Task Fix_is_not_offered_for_ContextScope()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Wrap("""        using var scope = ContextAnalyzers.Runtime.ContextScope.SetBaggage({|CTX303:"tenant id"|}, tenant);"""),
            CTX303BaggageDroppedCodeFix.UsePolicyKey);
    }

    [Fact]
    public async Task Fix_rewrites_using_static_calls()
    {
        await Verify.VerifyCodeFixAsync(
            """
            using static OpenTelemetry.Baggage;

            class C
            {
                void M(string tenant) => SetBaggage({|CTX303:"tenant id"|}, tenant);
            }
            """,
            """
            using ContextAnalyzers.Runtime;
            using static OpenTelemetry.Baggage;

            class C
            {
                void M(string tenant) => BaggagePolicy.Default.SetBaggage("tenant id", tenant);
            }
            """,
            CTX303BaggageDroppedCodeFix.UsePolicyKey);
    }

    [Fact]
    public async Task Fix_is_not_offered_without_the_runtime()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Wrap("""        Baggage.SetBaggage({|CTX303:"tenant id"|}, tenant);"""),
            CTX303BaggageDroppedCodeFix.UsePolicyKey,
            ReferenceSet.AllButRuntime);
    }

    [Fact]
    public async Task Nothing_without_opentelemetry()
    {
        var test = Verify.Create();
        test.TestCode = """
            class C { void M(System.Diagnostics.Activity a) { a.AddBaggage("tenant id", new string('x', 9000)); } }
            """;
        test.References = ReferenceSet.DiagnosticSource;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M() { foreach (var h in new System.Net.Http.HttpRequestMessage().Headers) OpenTelemetry.Baggage.SetBaggage(h.Key, ); } }")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.SetBaggage(\"a b\", System.Text.Json.JsonSerializer.Serialize(; } }")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.SetBaggage(\"k\", string.Join(\",\", )); } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
