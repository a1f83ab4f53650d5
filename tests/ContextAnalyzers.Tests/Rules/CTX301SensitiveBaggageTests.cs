using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.Rules.CTX301SensitiveBaggageAnalyzer, ContextAnalyzers.Rules.CTX301SensitiveBaggageCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX301 (sensitive key) and CTX302 (sensitive value): flagged shapes, silent look-alikes, fixes, bail-outs.</summary>
public class CTX301SensitiveBaggageTests
{
    private static string Wrap(string body, string members = "", bool runtimeUsing = false) => $$"""
        using System.Collections.Generic;
        using System.Diagnostics;
        {{(runtimeUsing ? "using ContextAnalyzers.Runtime;\n" : "")}}using OpenTelemetry;

        class User
        {
            public string Email { get; set; } = "";
            public string Tier { get; set; } = "";
            public string Region { get; set; } = "";
            public string EmailTemplate { get; set; } = "";
            public string PasswordQuestionId { get; set; } = "";
        }

        class C
        {
        {{members}}
            void M(User user, string password, string tenantId, Activity activity)
            {
        {{body}}
            }
        }
        """;

    // ------------------------------------------------------------------ CTX301: keys

    [Theory]
    [InlineData("user.email")]
    [InlineData("authToken")]
    [InlineData("X-Api-Key")]
    [InlineData("session_id")]
    [InlineData("session.id")]
    [InlineData("sessionKey")]
    [InlineData("session_token")]
    [InlineData("db.password")]
    [InlineData("apikey")]
    [InlineData("client_secret")]
    [InlineData("Authorization")]
    [InlineData("credit_card_number")]
    [InlineData("user.dateOfBirth")]
    [InlineData("customer.iban")]
    [InlineData("passwordValue")]
    [InlineData("ssn4")]
    public async Task Sensitive_constant_key_is_flagged(string key)
    {
        await Verify.VerifyAnalyzerAsync(Wrap($$"""        Baggage.SetBaggage({|CTX301:"{{key}}"|}, "v");"""));
    }

    [Theory]
    [InlineData("tokenizer")]
    [InlineData("passwordQuestionId")]
    [InlineData("emailTemplate")]
    [InlineData("tenant.id")]
    [InlineData("correlation.id")]
    [InlineData("session.resumed")]
    [InlineData("session.count")]
    [InlineData("region")]
    [InlineData("ab.variant")]
    [InlineData("request.priority")]
    [InlineData("customer.tier")]
    [InlineData("token.count")]
    [InlineData("llm.max_tokens")]
    [InlineData("timespan")]
    [InlineData("cache.key")]
    public async Task Look_alike_key_is_silent(string key)
    {
        await Verify.VerifyAnalyzerAsync(Wrap($$"""        Baggage.SetBaggage("{{key}}", "v");"""));
    }

    [Fact]
    public async Task Every_write_shape_is_checked()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    Baggage.SetBaggage({|CTX301:"password"|}, "v");
                    Baggage.SetBaggage(name: {|CTX301:"password"|}, value: "v", baggage: Baggage.Current);
                    var b = Baggage.Current.SetBaggage({|CTX301:"api_key"|}, "v");
                    b = b.SetBaggage(new KeyValuePair<string, string?>({|CTX301:"user.email"|}, "v"), new KeyValuePair<string, string?>("region", "eu"));
                    b = b.SetBaggage(new[] { KeyValuePair.Create<string, string?>({|CTX301:"user.phone"|}, "v") });
                    Baggage.SetBaggage(new List<KeyValuePair<string, string?>> { new({|CTX301:"session_id"|}, "v") });
                    Baggage.SetBaggage([new KeyValuePair<string, string?>({|CTX301:"otp"|}, "v")]);
                    b = Baggage.Create(new Dictionary<string, string> { { {|CTX301:"cvv"|}, "1" }, { "region", "eu" } });
                    b = Baggage.Create(new Dictionary<string, string> { [{|CTX301:"iban"|}] = "1" });
                    activity.AddBaggage({|CTX301:"bearer"|}, "v");
                    activity.SetBaggage({|CTX301:"cookie"|}, "v");
                    Activity.Current?.AddBaggage({|CTX301:"secret"|}, "v");
            """));
    }

    [Fact]
    public async Task ContextScope_writes_are_checked()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    using var a = ContextAnalyzers.Runtime.ContextScope.SetBaggage({|CTX301:"user.email"|}, "v");
                    using var b = ContextAnalyzers.Runtime.ContextScope.SetBaggage("user", {|CTX302:user.Email|});
                    using var c = ContextAnalyzers.Runtime.ContextScope.SetBaggage(new[] { new KeyValuePair<string, string?>({|CTX301:"api_key"|}, "v") });
                    using var d = ContextAnalyzers.Runtime.ContextScope.SetBaggage("tenant.id", tenantId);
            """));
    }

    [Fact]
    public async Task ContextScope_write_gets_the_pseudonym_fix_only()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""        using var a = ContextAnalyzers.Runtime.ContextScope.SetBaggage("user", {|CTX302:user.Email|});""");
        test.FixedCode = Wrap("""        using var a = ContextAnalyzers.Runtime.ContextScope.SetBaggage("user", BaggagePolicy.Pseudonymize(user.Email));""", runtimeUsing: true);
        test.CodeActionEquivalenceKey = CTX301SensitiveBaggageCodeFix.ValuePseudonymizeKey;
        await test.RunAsync();

        test = Verify.Create();
        test.TestCode = Wrap("""        using var a = ContextAnalyzers.Runtime.ContextScope.SetBaggage("user", {|CTX302:user.Email|});""");
        test.NoFixOfferedKey = CTX301SensitiveBaggageCodeFix.ValueKeepLocalKey;
        await test.RunAsync();

        test = Verify.Create();
        test.TestCode = Wrap("""        using var a = ContextAnalyzers.Runtime.ContextScope.SetBaggage("user", {|CTX302:user.Email|});""");
        test.NoFixOfferedKey = CTX301SensitiveBaggageCodeFix.ValueRemoveKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task Constant_keys_of_every_form_are_checked()
    {
        await Verify.VerifyAnalyzerAsync(Wrap(
            """
                    Baggage.SetBaggage({|CTX301:Key|}, "v");
                    Baggage.SetBaggage({|CTX301:nameof(password)|}, "v");
                    Baggage.SetBaggage({|CTX301:$"{Prefix}.email"|}, "v");
            """,
            """
                const string Key = "user.password";
                const string Prefix = "user";
            """));
    }

    [Fact]
    public async Task Message_names_the_key_and_the_matched_entry()
    {
        await Verify.VerifyAnalyzerAsync(
            Wrap("""        Baggage.SetBaggage({|#0:"X-Api-Key"|}, "v");"""),
            Verify.Diagnostic("CTX301").WithLocation(0).WithArguments("X-Api-Key", "api key").WithSeverity(DiagnosticSeverity.Warning));
    }

    // ------------------------------------------------------------------ CTX302: values

    [Fact]
    public async Task Sensitive_value_sources_are_flagged()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    Baggage.SetBaggage("user", {|CTX302:user.Email|});
                    Baggage.SetBaggage("p", {|CTX302:password|});
                    var token = "t";
                    Baggage.SetBaggage("t", {|CTX302:token|});
                    Baggage.SetBaggage("u", {|CTX302:$"id:{user.Email}"|});
                    Baggage.SetBaggage("u", {|CTX302:user.Email.ToLowerInvariant()|});
                    Baggage.SetBaggage("u", {|CTX302:"x" + password|});
                    activity.AddBaggage("u", {|CTX302:user.Email|});
            """));
    }

    [Fact]
    public async Task Flags_enums_and_cancellation_tokens_do_not_carry_data()
    {
        var source = """
            using System.Threading;
            using OpenTelemetry;

            enum TokenKind { Access, Refresh }

            class C
            {
                void M(bool hasPassword, TokenKind token, CancellationToken cancellationToken, int cvv, System.DateTime birthDate)
                {
                    Baggage.SetBaggage("a", hasPassword.ToString());
                    Baggage.SetBaggage("b", token.ToString());
                    Baggage.SetBaggage("c", $"{cancellationToken}");
                    Baggage.SetBaggage("d", {|CTX302:cvv.ToString()|});
                    Baggage.SetBaggage("e", {|CTX302:birthDate.ToString("O")|});
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task Receiver_and_member_read_together()
    {
        var source = """
            using OpenTelemetry;

            class Session { public string Id { get; set; } = ""; public int Count { get; set; } }
            class Card { public string Number { get; set; } = ""; public string Brand { get; set; } = ""; }
            class Tenant { public string Id { get; set; } = ""; }

            class C
            {
                void M(Session session, Card card, Tenant tenant)
                {
                    Baggage.SetBaggage("s", {|CTX302:session.Id|});
                    Baggage.SetBaggage("c", {|CTX302:card.Number|});
                    Baggage.SetBaggage("t", tenant.Id);
                    Baggage.SetBaggage("b", card.Brand);
                    Baggage.SetBaggage("n", session.Count.ToString());
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task Headers_claims_and_classified_members_are_flagged()
    {
        var source = """
            using System.Net.Http;
            using System.Linq;
            using System.Security.Claims;
            using Microsoft.Extensions.Compliance.Classification;
            using OpenTelemetry;

            namespace Microsoft.Extensions.Compliance.Classification
            {
                public abstract class DataClassificationAttribute : System.Attribute { }
            }

            sealed class PiiDataAttribute : DataClassificationAttribute { }

            class Customer
            {
                [PiiData] public string Handle { get; set; } = "";
                public string Tier { get; set; } = "";
            }

            class C
            {
                void M(HttpRequestMessage request, ClaimsPrincipal user, Customer customer, System.Collections.Specialized.NameValueCollection headers)
                {
                    Baggage.SetBaggage("auth", {|CTX302:request.Headers.GetValues("Authorization").First()|});
                    Baggage.SetBaggage("auth", {|CTX302:headers["Cookie"]|});
                    Baggage.SetBaggage("auth", {|CTX302:request.Headers.Authorization?.Parameter|});
                    Baggage.SetBaggage("who", {|CTX302:user.FindFirst(ClaimTypes.Email)?.Value|});
                    Baggage.SetBaggage("who", {|CTX302:user.FindFirst("phone_number")!.Value|});
                    Baggage.SetBaggage("who", {|CTX302:user.Identity!.Name|});
                    Baggage.SetBaggage("who", {|CTX302:customer.Handle|});
                    Baggage.SetBaggage("tier", customer.Tier);
                    Baggage.SetBaggage("role", user.FindFirst(ClaimTypes.Role)?.Value);
                    Baggage.SetBaggage("accept", request.Headers.GetValues("Accept").First());
                }
            }
            """;
        await Verify.VerifyAnalyzerAsync(source);
    }

    [Fact]
    public async Task Non_sensitive_values_and_pseudonyms_are_silent()
    {
        await Verify.VerifyAnalyzerAsync(Wrap("""
                    Baggage.SetBaggage("tenant.id", tenantId);
                    Baggage.SetBaggage("customer.tier", user.Tier);
                    Baggage.SetBaggage("region", user.Region);
                    Baggage.SetBaggage("template", user.EmailTemplate);
                    Baggage.SetBaggage("question", user.PasswordQuestionId);
                    Baggage.SetBaggage("user", ContextAnalyzers.Runtime.BaggagePolicy.Pseudonymize(user.Email));
                    Baggage.SetBaggage("user.email", ContextAnalyzers.Runtime.BaggagePolicy.Default.Hash(user.Email));
                    Baggage.SetBaggage("length", password.Length.ToString());
                    Baggage.SetBaggage("user.email", null);
                    Baggage.SetBaggage("password", "");
                    activity.SetBaggage("session_id", null);
            """));
    }

    [Fact]
    public async Task One_write_gets_one_diagnostic()
    {
        await Verify.VerifyAnalyzerAsync(
            Wrap("""        Baggage.SetBaggage({|#0:"user.email"|}, user.Email);"""),
            Verify.Diagnostic("CTX301").WithLocation(0));
    }

    [Fact]
    public async Task Value_message_says_why()
    {
        await Verify.VerifyAnalyzerAsync(
            Wrap("""        Baggage.SetBaggage("u", {|#0:user.Email|});"""),
            Verify.Diagnostic("CTX302").WithLocation(0).WithMessage("Baggage value reads 'user.Email', which looks sensitive ('Email' matches the sensitive entry 'email'), and baggage is sent in plain text to every downstream service"));
    }

    // ------------------------------------------------------------------ options

    [Fact]
    public async Task Option_adds_words_without_replacing_the_defaults()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""
                    Baggage.SetBaggage({|CTX301:"patient.id"|}, "v");
                    Baggage.SetBaggage({|CTX301:"medicalRecord"|}, "v");
                    Baggage.SetBaggage({|CTX301:"password"|}, "v");
            """);
        test.EditorConfig = "ctx_analyzers.sensitive_words = +patient id, medical record";
        await test.RunAsync();
    }

    [Fact]
    public async Task Option_removes_a_default_word()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""
                    Baggage.SetBaggage("shipping.address", "v");
                    Baggage.SetBaggage({|CTX301:"user.email"|}, "v");
            """);
        test.EditorConfig = "ctx_analyzers.sensitive_words = +patient, -address";
        await test.RunAsync();
    }

    [Fact]
    public async Task Option_allows_exact_keys_only()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""
                    Baggage.SetBaggage("session.token.kind", "v");
                    Baggage.SetBaggage("user.email", user.Email);
                    Baggage.SetBaggage({|CTX301:"user.Email"|}, "v");
            """);
        test.EditorConfig = "ctx_analyzers.allowed_baggage_keys = user.email, session.token.kind";
        await test.RunAsync();
    }

    [Fact]
    public async Task Options_apply_per_file_section()
    {
        var test = Verify.Create();
        test.Sources.Add("""
            class A { void M() { OpenTelemetry.Baggage.SetBaggage("patient", "v"); } }
            """);
        test.Sources.Add("""
            class B { void M() { OpenTelemetry.Baggage.SetBaggage({|CTX301:"patient"|}, "v"); } }
            """);
        test.EditorConfig = "root = true\n[*.cs]\n\n[Test1.cs]\nctx_analyzers.sensitive_words = +patient\n";
        await test.RunAsync();
    }

    [Fact]
    public async Task Invalid_option_is_reported_once_per_file_and_the_rest_applies()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""
                    Baggage.{|#0:{|#1:SetBaggage|}|}({|CTX301:"patient"|}, "v");
                    Baggage.SetBaggage({|CTX301:"password"|}, "v");
                    Baggage.SetBaggage("shipping.address", "v");
            """);
        test.EditorConfig = "ctx_analyzers.sensitive_words = +patient, -nosuchword, +pass*word, -address\nctx_analyzers.allowed_baggage_keys = ok.key, bad key";
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX399").WithLocation(0).WithMessage(
            "Option 'ctx_analyzers.sensitive_words' has an invalid value: '-nosuchword' removes 'nosuchword', which is not a default sensitive entry (see docs/sensitive-words.md)"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX399").WithLocation(0).WithMessage(
            "Option 'ctx_analyzers.sensitive_words' has an invalid value: '+pass*word' is not a word list (use '+word' to add, '-word' to remove; letters, digits, spaces, '.', '_' or '-' only)"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX399").WithLocation(1).WithMessage(
            "Option 'ctx_analyzers.allowed_baggage_keys' has an invalid value: 'bad key' is not a baggage key (a W3C token: no spaces, quotes, '(),/:;<=>?@[\\]{}' or non-ASCII characters)"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Invalid_option_is_reported_in_each_file_with_baggage_writes()
    {
        var test = Verify.Create();
        test.Sources.Add("""
            class A { void M(System.Diagnostics.Activity a) { a.{|CTX399:AddBaggage|}("tenant.id", "1"); a.AddBaggage("region", "eu"); } }
            """);
        test.Sources.Add("""
            class B { void M() { OpenTelemetry.Baggage.{|CTX399:SetBaggage|}("tenant.id", "1"); } }
            """);
        test.Sources.Add("""
            class D { void M() { } }
            """);
        test.EditorConfig = "ctx_analyzers.sensitive_words = +$$$";
        await test.RunAsync();
    }

    [Fact]
    public async Task Invalid_option_in_a_file_without_baggage_is_not_reported()
    {
        var test = Verify.Create();
        test.TestCode = "class C { void M() { } }";
        test.EditorConfig = "ctx_analyzers.sensitive_words = +***";
        await test.RunAsync();
    }

    [Fact]
    public async Task Severity_is_configurable()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""        Baggage.SetBaggage("password", "v");""");
        test.EditorConfig = "dotnet_diagnostic.CTX301.severity = none";
        await test.RunAsync();

        test = Verify.Create();
        test.TestCode = Wrap("""        Baggage.SetBaggage({|#0:"password"|}, "v");""");
        test.EditorConfig = "dotnet_diagnostic.CTX301.severity = error";
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX301").WithLocation(0).WithSeverity(DiagnosticSeverity.Error));
        await test.RunAsync();
    }

    // ------------------------------------------------------------------ fixes

    [Fact]
    public async Task Fix_pseudonym_wraps_the_value()
    {
        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    // who is calling
                    Baggage.SetBaggage({|CTX301:"user.email"|}, user.Email);
                    Baggage.SetBaggage("user", {|CTX302:user.Email|});
                    activity.AddBaggage({|CTX301:"password"|}, password);
            """),
            """
            using System.Collections.Generic;
            using System.Diagnostics;
            using ContextAnalyzers.Runtime;
            using OpenTelemetry;

            class User
            {
                public string Email { get; set; } = "";
                public string Tier { get; set; } = "";
                public string Region { get; set; } = "";
                public string EmailTemplate { get; set; } = "";
                public string PasswordQuestionId { get; set; } = "";
            }

            class C
            {

                void M(User user, string password, string tenantId, Activity activity)
                {
                    // who is calling
                    Baggage.SetBaggage("user.email", BaggagePolicy.Pseudonymize(user.Email));
                    Baggage.SetBaggage("user", {|CTX302:user.Email|});
                    activity.AddBaggage("password", BaggagePolicy.Pseudonymize(password));
                }
            }
            """,
            CTX301SensitiveBaggageCodeFix.KeyPseudonymizeKey);
    }

    [Fact]
    public async Task Fixes_of_CTX302_pseudonym_tag_and_remove()
    {
        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    Baggage.SetBaggage("user", {|CTX302:user.Email|});
                    activity.AddBaggage("p", {|CTX302:password|});
            """),
            Wrap("""
                    Baggage.SetBaggage("user", BaggagePolicy.Pseudonymize(user.Email));
                    activity.AddBaggage("p", BaggagePolicy.Pseudonymize(password));
            """, runtimeUsing: true),
            CTX301SensitiveBaggageCodeFix.ValuePseudonymizeKey);

        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    Baggage.SetBaggage("user", {|CTX302:user.Email|});
                    activity.AddBaggage("p", {|CTX302:password|});
            """),
            Wrap("""
                    Activity.Current?.SetTag("user", user.Email);
                    activity.SetTag("p", password);
            """),
            CTX301SensitiveBaggageCodeFix.ValueKeepLocalKey);

        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    Baggage.SetBaggage("user", {|CTX302:user.Email|});
                    var a = 1;
                    activity.AddBaggage("p", {|CTX302:password|});
            """),
            Wrap("""
                    var a = 1;
            """),
            CTX301SensitiveBaggageCodeFix.ValueRemoveKey);
    }

    [Fact]
    public async Task Fix_pseudonym_in_a_dictionary_entry()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""        var b = Baggage.Create(new Dictionary<string, string> { { "user", {|CTX302:user.Email|} } });""");
        test.FixedCode = Wrap("""        var b = Baggage.Create(new Dictionary<string, string> { { "user", BaggagePolicy.Pseudonymize(user.Email) } });""", runtimeUsing: true);
        test.CodeActionEquivalenceKey = CTX301SensitiveBaggageCodeFix.ValuePseudonymizeKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task Fix_pseudonym_is_not_offered_without_the_runtime()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Wrap("""        Baggage.SetBaggage({|CTX301:"user.email"|}, user.Email);""").Replace(", Activity activity", string.Empty, StringComparison.Ordinal),
            CTX301SensitiveBaggageCodeFix.KeyPseudonymizeKey,
            ReferenceSet.AllButRuntime);
    }

    [Fact]
    public async Task Fix_keep_local_turns_statements_into_tags()
    {
        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    Baggage.SetBaggage({|CTX301:"user.email"|}, user.Email); // trailing
                    Baggage.SetBaggage(value: "v", name: {|CTX301:"user.email"|});
                    activity.AddBaggage({|CTX301:"password"|}, password);
                    Activity.Current?.SetBaggage({|CTX301:"password"|}, password);
            """),
            Wrap("""
                    Activity.Current?.SetTag("user.email", user.Email); // trailing
                    Activity.Current?.SetTag("user.email", "v");
                    activity.SetTag("password", password);
                    Activity.Current?.SetTag("password", password);
            """),
            CTX301SensitiveBaggageCodeFix.KeyKeepLocalKey);
    }

    [Fact]
    public async Task Fix_keep_local_is_not_offered_where_the_result_is_used()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""
                    var b = Baggage.SetBaggage({|CTX301:"user.email"|}, "v");
                    Baggage.SetBaggage({|CTX301:"user.email"|}, "v", b);
            """);
        test.NoFixOfferedKey = CTX301SensitiveBaggageCodeFix.KeyKeepLocalKey;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("var seen = Baggage.GetBaggage(\"user.email\");")]
    [InlineData("var seen = Baggage.Current;")]
    [InlineData("var seen = activity.GetBaggageItem(\"user.email\");")]
    [InlineData("var seen = activity.Baggage;")]
    public async Task Fix_keep_local_and_remove_are_not_offered_when_the_member_reads_baggage_back(string read)
    {
        foreach (var key in new[] { CTX301SensitiveBaggageCodeFix.KeyKeepLocalKey, CTX301SensitiveBaggageCodeFix.KeyRemoveKey })
        {
            var test = Verify.Create();
            test.TestCode = Wrap($$"""
                        Baggage.SetBaggage({|CTX301:"user.email"|}, user.Email);
                        activity.AddBaggage({|CTX301:"user.email"|}, user.Email);
                        {{read}}
                """);
            test.NoFixOfferedKey = key;
            await test.RunAsync();
        }
    }

    [Fact]
    public async Task Fix_keep_local_with_fully_qualified_names()
    {
        await Verify.VerifyCodeFixAsync(
            """
            class C
            {
                void M(string password)
                {
                    OpenTelemetry.Baggage.SetBaggage({|CTX301:"password"|}, password);
                }
            }
            """,
            """
            using System.Diagnostics;

            class C
            {
                void M(string password)
                {
                    Activity.Current?.SetTag("password", password);
                }
            }
            """,
            CTX301SensitiveBaggageCodeFix.KeyKeepLocalKey);
    }

    [Fact]
    public async Task Fix_remove_deletes_the_write_and_keeps_comments()
    {
        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    var a = 1;
                    // the caller's mail
                    Baggage.SetBaggage({|CTX301:"user.email"|}, user.Email);
                    Baggage.SetBaggage("p", {|CTX302:password|});
                    a++;
            """),
            Wrap("""
                    var a = 1;
                    // the caller's mail
                    Baggage.SetBaggage("p", {|CTX302:password|});
                    a++;
            """),
            CTX301SensitiveBaggageCodeFix.KeyRemoveKey);
    }

    [Fact]
    public async Task Fix_remove_deletes_collection_entries()
    {
        await Verify.VerifyCodeFixAsync(
            Wrap("""
                    var b = Baggage.Create(new Dictionary<string, string> { { {|CTX301:"user.email"|}, user.Email }, { "region", user.Region } });
                    b = Baggage.Create(new Dictionary<string, string> { ["region"] = user.Region, [{|CTX301:"password"|}] = password });
                    Baggage.SetBaggage(new[] { new KeyValuePair<string, string?>("tier", user.Tier), new KeyValuePair<string, string?>({|CTX301:"api_key"|}, "k") });
                    Baggage.SetBaggage([KeyValuePair.Create<string, string?>({|CTX301:"otp"|}, "1"), KeyValuePair.Create<string, string?>("region", user.Region)]);
            """),
            Wrap("""
                    var b = Baggage.Create(new Dictionary<string, string> { { "region", user.Region } });
                    b = Baggage.Create(new Dictionary<string, string> { ["region"] = user.Region });
                    Baggage.SetBaggage(new[] { new KeyValuePair<string, string?>("tier", user.Tier) });
                    Baggage.SetBaggage([KeyValuePair.Create<string, string?>("region", user.Region)]);
            """),
            CTX301SensitiveBaggageCodeFix.KeyRemoveKey);
    }

    [Fact]
    public async Task Fix_remove_is_not_offered_for_params_arguments_or_used_results()
    {
        var test = Verify.Create();
        test.TestCode = Wrap("""
                    var b = Baggage.Current.SetBaggage(new KeyValuePair<string, string?>({|CTX301:"api_key"|}, "k"));
                    var c = Baggage.SetBaggage({|CTX301:"password"|}, "v");
                    if (b.Count > 0) Baggage.SetBaggage({|CTX301:"password"|}, "v");
            """);
        test.NoFixOfferedKey = CTX301SensitiveBaggageCodeFix.KeyRemoveKey;
        await test.RunAsync();
    }

    // ------------------------------------------------------------------ bail-outs and robustness

    [Fact]
    public async Task Nothing_without_opentelemetry_or_diagnostics()
    {
        var test = Verify.Create();
        test.TestCode = """
            class Baggage { public static void SetBaggage(string k, string v) { } }
            class C { void M(string password) { Baggage.SetBaggage("password", password); } }
            """;
        test.References = ReferenceSet.FrameworkOnly;
        await test.RunAsync();

        test = Verify.Create();
        test.TestCode = """
            class C { void M(string password) { System.Diagnostics.Activity.Current?.AddBaggage({|CTX301:"password"|}, password); } }
            """;
        test.References = ReferenceSet.DiagnosticSource;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.SetBaggage(\"password\", ); } }")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.SetBaggage(\"password\" } }")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.SetBaggage(; } }")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.Create(new System.Collections.Generic.Dictionary<string, string> { { \"password\", } }); } }")]
    [InlineData("class C { void M(System.Diagnostics.Activity a) { a.AddBaggage(x.Email, y.Password); } }")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.SetBaggage([new(\"password\", ]); } }")]
    [InlineData("class C { void M() { foreach (var h in ) OpenTelemetry.Baggage.SetBaggage(h.Key, h.Value); } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
