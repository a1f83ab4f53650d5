using System.Collections.Immutable;
using System.Globalization;
using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.Rules.CTX304BaggageKeyContractAnalyzer, ContextAnalyzers.Rules.CTX304BaggageKeyContractCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// CTX304 (a baggage key read that nothing writes, a near miss of a written or declared key), CTX305 (a key written
/// that the team's key schema does not list) and their CTX399 option errors.
/// </summary>
public class CTX304BaggageKeyContractTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using System.Diagnostics;
        using OpenTelemetry;

        """;

    private const string CaseOrSeparators = "the keys differ only by case or separators, and baggage keys are compared ordinally";

    private static string ReadNotWritten(string key, string written, string why) => $"Baggage key '{key}' is read here but nothing in this project writes it, and '{written}' is written: {why}";
    private const string OneCharacter = "the keys differ by one character";

    // ------------------------------------------------------------------ the runtime fact behind the rule

    [Fact]
    public void Fact_baggage_keys_are_compared_ordinally_by_OpenTelemetry_and_Activity()
    {
        var baggage = OpenTelemetry.Baggage.Create(new Dictionary<string, string> { ["tenant.id"] = "42" });
        Assert.Equal("42", baggage.GetBaggage("tenant.id"));
        Assert.Null(baggage.GetBaggage("Tenant.Id"));
        Assert.Null(baggage.GetBaggage("tenant-id"));

        using var activity = new System.Diagnostics.Activity("fact");
        activity.AddBaggage("tenant.id", "42");
        Assert.Equal("42", activity.GetBaggageItem("tenant.id"));
        Assert.Null(activity.GetBaggageItem("TENANT.ID"));
    }

    // ------------------------------------------------------------------ CTX304 flagged

    [Fact]
    public async Task Reads_that_differ_from_a_written_key_by_case_or_separators_are_typos()
    {
        var test = Verify.Create();
        test.TestCode = Usings + """
            class Middleware
            {
                void Write(string tenant) => Baggage.SetBaggage("tenant.id", tenant);
            }

            class Handler
            {
                string? A() => Baggage.GetBaggage({|#1:"tenant-id"|});
                string? B() => Baggage.Current.GetBaggage({|#2:"TenantId"|});
                string? C(Activity activity) => activity.GetBaggageItem({|#3:"tenant_id"|});
                string? D() => Baggage.GetBaggage()[{|#4:"Tenant.Id"|}];
            }
            """;
        foreach (var (at, key) in new[] { (1, "tenant-id"), (2, "TenantId"), (3, "tenant_id"), (4, "Tenant.Id") })
        {
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX304").WithLocation(at).WithMessage(ReadNotWritten(key, "tenant.id", CaseOrSeparators)));
        }

        test.FixedCode = Usings + """
            class Middleware
            {
                void Write(string tenant) => Baggage.SetBaggage("tenant.id", tenant);
            }

            class Handler
            {
                string? A() => Baggage.GetBaggage("tenant.id");
                string? B() => Baggage.Current.GetBaggage("tenant.id");
                string? C(Activity activity) => activity.GetBaggageItem("tenant.id");
                string? D() => Baggage.GetBaggage()["tenant.id"];
            }
            """;
        test.CodeActionEquivalenceKey = CTX304BaggageKeyContractCodeFix.RenameReadKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task The_written_key_is_the_additional_location()
    {
        var test = Verify.Create();
        test.TestCode = Usings + """
            class C
            {
                void Write() => Baggage.SetBaggage("correlation.id", "1");
                string? Read() => Baggage.GetBaggage("corelation.id");
            }
            """;
        var project = await test.CreateProjectAsync(test.Sources.Select(s => s.content.ToString()).ToList());
        var compilation = (await project.GetCompilationAsync())!;
        var diagnostics = await AnalyzerRunner.RunAsync(project, compilation, ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(new CTX304BaggageKeyContractAnalyzer()), CancellationToken.None);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("CTX304", diagnostic.Id);
        Assert.Equal("Baggage key 'corelation.id' is read here but nothing in this project writes it, and 'correlation.id' is written: " + OneCharacter, diagnostic.GetMessage());
        var written = Assert.Single(diagnostic.AdditionalLocations);
        Assert.Equal("\"correlation.id\"", written.SourceTree!.GetText().ToString(written.SourceSpan));
        Assert.Equal("correlation.id", diagnostic.Properties[CTX304BaggageKeyContractAnalyzer.KeyProperty]);
    }

    [Fact]
    public async Task One_character_typos_across_files_every_write_shape()
    {
        var test = Verify.Create();
        test.TestCode = Usings + """
            class Writers
            {
                Baggage Create(string v) => Baggage.Create(new Dictionary<string, string> { { "correlation.id", v } });
                Baggage Indexer(string v) => Baggage.Create(new Dictionary<string, string> { ["session.region"] = v });
                void Pairs(string v) => Baggage.SetBaggage(new[] { new KeyValuePair<string, string?>("customer.tier", v) });
                void Activity(Activity a, string v) { a.AddBaggage("deployment.ring", v); a.SetBaggage("request.source", v); }
                Baggage Instance(Baggage b, string v) => b.SetBaggage("feature.flags", v);
            }
            """;
        test.TestCode = Usings + """
            class Readers
            {
                string? A() => Baggage.GetBaggage({|CTX304:"corelation.id"|});
                string? B() => Baggage.GetBaggage({|CTX304:"sesion.region"|});
                string? C() => Baggage.GetBaggage({|CTX304:"customer.teir"|});
                string? D(Activity a) => a.GetBaggageItem({|CTX304:"deploymnet.ring"|});
                string? E(Activity a) => a.GetBaggageItem({|CTX304:"request.souce"|});
                bool F() => Baggage.Current.GetBaggage().TryGetValue({|CTX304:"featrue.flags"|}, out _);
            }
            """;
        test.FixedSources.Add(test.Sources[0]);
        test.FixedSources.Add(Usings + """
            class Readers
            {
                string? A() => Baggage.GetBaggage("correlation.id");
                string? B() => Baggage.GetBaggage("session.region");
                string? C() => Baggage.GetBaggage("customer.tier");
                string? D(Activity a) => a.GetBaggageItem("deployment.ring");
                string? E(Activity a) => a.GetBaggageItem("request.source");
                bool F() => Baggage.Current.GetBaggage().TryGetValue("feature.flags", out _);
            }
            """);
        await test.RunAsync();
    }

    [Fact]
    public async Task Runtime_writes_count_as_writes()
    {
        var test = Verify.Create();
        test.TestCode = Usings + """
            using ContextAnalyzers.Runtime;

            class C
            {
                void Write(string v) { using var scope = ContextScope.SetBaggage("order.channel", v); }
                Baggage Policy(string v) => BaggagePolicy.Default.SetBaggage("order.priority", v);
                string? A() => Baggage.GetBaggage({|CTX304:"order-channel"|});
                string? B() => Baggage.GetBaggage({|CTX304:"Order.Priority"|});
            }
            """;
        test.FixedCode = Usings + """
            using ContextAnalyzers.Runtime;

            class C
            {
                void Write(string v) { using var scope = ContextScope.SetBaggage("order.channel", v); }
                Baggage Policy(string v) => BaggagePolicy.Default.SetBaggage("order.priority", v);
                string? A() => Baggage.GetBaggage("order.channel");
                string? B() => Baggage.GetBaggage("order.priority");
            }
            """;
        await test.RunAsync();
    }

    // ------------------------------------------------------------------ CTX304 silent

    [Fact]
    public Task Different_keys_are_not_typos() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void Write(string v)
            {
                Baggage.SetBaggage("tenant.id", v);
                Baggage.SetBaggage("shard1", v);
                Baggage.SetBaggage("user.id", v);
                Baggage.SetBaggage("request.id", v);
                Baggage.SetBaggage("region", v);
                Baggage.SetBaggage("order.items", v);
            }

            void Read(string computed)
            {
                _ = Baggage.GetBaggage("tenant.id");     // written exactly
                _ = Baggage.GetBaggage("shard2");        // a digit: another key
                _ = Baggage.GetBaggage("user.ip");       // a short word: another key
                _ = Baggage.GetBaggage("x.request.id");  // a whole word more: another key
                _ = Baggage.GetBaggage("upstream.zone"); // written by another service: nothing close here
                _ = Baggage.GetBaggage("regions");       // a letter at the end of a word: a plural, another key
                _ = Baggage.GetBaggage("order.item.count");
                _ = Baggage.GetBaggage(computed);        // not a constant
                _ = Baggage.GetBaggage("");
            }
        }
        """);

    [Fact]
    public Task A_member_that_reads_both_keys_reads_a_fallback_on_purpose() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void Write(string v) => Baggage.SetBaggage("tenant.id", v);

            string? Read() => Baggage.GetBaggage("tenant.id") ?? Baggage.GetBaggage("tenantId");
        }
        """);

    [Fact]
    public Task Removals_are_not_reads() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void Write(string v) => Baggage.SetBaggage("tenant.id", v);

            void Remove() => Baggage.RemoveBaggage("tenant-id"); // a removal reads nothing
        }
        """);

    [Fact]
    public async Task Bails_out_without_OpenTelemetry_or_DiagnosticSource()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            class Baggage
            {
                public static void SetBaggage(string name, string value) { }
                public static string? GetBaggage(string name) => null;
            }

            class C
            {
                void M() { Baggage.SetBaggage("tenant.id", "1"); _ = Baggage.GetBaggage("tenant-id"); }
            }
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task Half_typed_code_does_not_crash()
    {
        await CrashVerifier.AssertNoCrashAsync(Usings + """
            class C
            {
                void M(Activity a)
                {
                    Baggage.SetBaggage("tenant.id", );
                    Baggage.GetBaggage(;
                    a.GetBaggageItem(Missing);
                    Baggage.Create(new Dictionary<string, string> { { , "v" } });
                    Baggage.GetBaggage()[];
                    Baggage.SetBaggage(new[] { new KeyValuePair<string, string?>(
                }
            }
            """, analyzers: ImmutableArray.Create<DiagnosticAnalyzer>(new CTX304BaggageKeyContractAnalyzer()));
    }

    // ------------------------------------------------------------------ CTX305: the key schema

    private const string Schema = """
        # keys this team writes and reads
        tenant.id
        region
        app.*

        # written by the edge gateway, read here
        edge.client_id
        """;

    [Fact]
    public async Task Writes_not_in_the_schema_are_reported_and_renamed_to_the_closest_listed_key()
    {
        var test = Verify.Create();
        test.AdditionalFiles.Add(("baggage-keys.txt", Schema));
        test.TestCode = Usings + """
            class C
            {
                void M(Activity a, string v)
                {
                    Baggage.SetBaggage("tenant.id", v);
                    Baggage.SetBaggage("app.version", v);
                    Baggage.SetBaggage({|#0:"Region"|}, v);
                    a.AddBaggage({|#1:"tenant_id"|}, v);
                    Baggage.SetBaggage({|#2:"unknown.key"|}, v);
                    Baggage.SetBaggage("not a token", v); // CTX303's business: it could never be listed
                }
            }
            """;
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX305").WithLocation(0).WithMessage("Baggage key 'Region' is not in the baggage key schema (did you mean 'region'?)"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX305").WithLocation(1).WithMessage("Baggage key 'tenant_id' is not in the baggage key schema (did you mean 'tenant.id'?)"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX305").WithLocation(2).WithMessage("Baggage key 'unknown.key' is not in the baggage key schema (add it to the schema file if the team agreed on it)"));
        test.FixedCode = Usings + """
            class C
            {
                void M(Activity a, string v)
                {
                    Baggage.SetBaggage("tenant.id", v);
                    Baggage.SetBaggage("app.version", v);
                    Baggage.SetBaggage("region", v);
                    a.AddBaggage("tenant.id", v);
                    Baggage.SetBaggage({|CTX305:"unknown.key"|}, v);
                    Baggage.SetBaggage("not a token", v); // CTX303's business: it could never be listed
                }
            }
            """;
        test.CodeActionEquivalenceKey = CTX304BaggageKeyContractCodeFix.UseSchemaKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task Keys_declared_in_the_schema_are_never_reported_as_unwritten_and_are_typo_targets()
    {
        var test = Verify.Create();
        test.AdditionalFiles.Add(("baggage-keys.txt", Schema));
        test.TestCode = Usings + """
            class C
            {
                string? Client() => Baggage.GetBaggage("edge.client_id"); // declared: read from the gateway
                string? Build() => Baggage.GetBaggage("app.build");       // under a declared prefix
                string? Typo() => Baggage.GetBaggage({|CTX304:"edge.clientId"|}); // nothing writes it, and the schema has 'edge.client_id'
            }
            """;
        test.FixedCode = Usings + """
            class C
            {
                string? Client() => Baggage.GetBaggage("edge.client_id"); // declared: read from the gateway
                string? Build() => Baggage.GetBaggage("app.build");       // under a declared prefix
                string? Typo() => Baggage.GetBaggage("edge.client_id"); // nothing writes it, and the schema has 'edge.client_id'
            }
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task Without_a_schema_file_writes_are_not_checked()
    {
        var test = Verify.Create();
        test.AdditionalFiles.Add(("other-keys.txt", "tenant.id"));
        test.TestCode = Usings + """
            class C { void M(string v) => Baggage.SetBaggage("anything.goes", v); }
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task The_option_names_another_schema_file()
    {
        var test = Verify.Create();
        test.AdditionalFiles.Add(("team-baggage.txt", "tenant.id"));
        test.AdditionalFiles.Add(("baggage-keys.txt", "something.else"));
        test.EditorConfig = $"{CTX304BaggageKeyContractAnalyzer.SchemaOption} = team-baggage.txt";
        test.TestCode = Usings + """
            class C
            {
                void M(string v)
                {
                    Baggage.SetBaggage("tenant.id", v);
                    Baggage.SetBaggage({|CTX305:"something.else"|}, v);
                }
            }
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task Option_naming_no_additional_file_and_invalid_schema_lines_are_CTX399()
    {
        var test = Verify.Create();
        test.AdditionalFiles.Add(("baggage-keys.txt", "tenant.id\ntenant id\nsvc.*.name\n"));
        test.EditorConfig = $"{CTX304BaggageKeyContractAnalyzer.SchemaOption} = baggage-keys.txt, missing-keys.txt";
        var source = Usings + """
            class C
            {
                string? Read() => Baggage.GetBaggage("tenant.id");
                void Write(string v) => Baggage.SetBaggage("tenant.id", v);
            }
            """;
        test.TestCode = source;
        var at = new Microsoft.CodeAnalysis.Text.TextSpan(source.IndexOf("GetBaggage", StringComparison.Ordinal), "GetBaggage".Length);
        foreach (var error in new[]
        {
            "'missing-keys.txt' names no AdditionalFiles item of the project",
            "line 2 of 'baggage-keys.txt', 'tenant id', is not a W3C token (or a token followed by '*')",
            "line 3 of 'baggage-keys.txt', 'svc.*.name', is not a W3C token (or a token followed by '*')",
        })
        {
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX399").WithSpan("/0/Test0.cs", LinePosition(source, at.Start).Line, LinePosition(source, at.Start).Character, LinePosition(source, at.End).Line, LinePosition(source, at.End).Character).WithMessage($"Option '{CTX304BaggageKeyContractAnalyzer.SchemaOption}' has an invalid value: {error}"));
        }

        await test.RunAsync();
    }

    [Fact]
    public async Task Files_without_a_baggage_key_call_get_no_CTX399()
    {
        var test = Verify.Create();
        test.EditorConfig = $"{CTX304BaggageKeyContractAnalyzer.SchemaOption} = missing.txt";
        test.TestCode = Usings + """
            class C { void M(Activity a) => a.Stop(); }
            """;
        await test.RunAsync();
    }

    [Fact]
    public void Schema_parsing_keys_prefixes_comments_and_errors()
    {
        var files = ImmutableArray.Create<AdditionalText>(
            new Text("/p/baggage-keys.txt", "# comment\n  tenant.id  \n\napp.*\nbad key\n*\ntenant.id\n"),
            new Text("/p/config/extra-keys.txt", "extra.key\n"));
        var schema = CTX304BaggageKeyContractAnalyzer.KeySchema.Load(null, files, default);
        Assert.Equal(new[] { "tenant.id" }, schema.Keys.Keys);
        Assert.Equal(new[] { "app." }, schema.Prefixes);
        Assert.True(schema.Declares("app.anything"));
        Assert.False(schema.Declares("extra.key"));
        Assert.Equal(2, schema.Errors.Length);
        Assert.Equal(new TextSpanLine(1, 2), TextSpanLine.Of(schema.Keys["tenant.id"]));

        var byPath = CTX304BaggageKeyContractAnalyzer.KeySchema.Load("config/extra-keys.txt", files, default);
        Assert.Equal(new[] { "extra.key" }, byPath.Keys.Keys);
        Assert.Empty(byPath.Errors);

        var none = CTX304BaggageKeyContractAnalyzer.KeySchema.Load(null, ImmutableArray<AdditionalText>.Empty, default);
        Assert.True(none.IsEmpty);
        Assert.Empty(none.Errors);

        var missing = CTX304BaggageKeyContractAnalyzer.KeySchema.Load(" , nope.txt", files, default);
        Assert.True(missing.IsEmpty);
        var error = Assert.Single(missing.Errors);
        Assert.Equal("Option 'o' has an invalid value: 'nope.txt' names no AdditionalFiles item of the project", error.ToDiagnostic(Location.None, "o").GetMessage(CultureInfo.InvariantCulture));
    }

    // ------------------------------------------------------------------ the near-miss test

    [Theory]
    [InlineData("tenant-id", "tenant.id", 0)]
    [InlineData("TenantId", "tenant.id", 0)]
    [InlineData("tenantId", "TenantID", 0)]
    [InlineData("x-request-id", "XRequestId", 0)]
    [InlineData("tennant.id", "tenant.id", 1)]
    [InlineData("tenant.id", "tenatn.id", 1)]
    [InlineData("correlation", "corelation", 1)]
    [InlineData("tenant.id", "tenant.id", int.MaxValue)]
    [InlineData("user.id", "user.ip", int.MaxValue)]
    [InlineData("shard1", "shard2", int.MaxValue)]
    [InlineData("request.id", "x.request.id", int.MaxValue)]
    [InlineData("tenant.id", "tenant.name", int.MaxValue)]
    [InlineData("tenant.id", "tnat.id", int.MaxValue)]
    [InlineData("region", "regions", int.MaxValue)]
    [InlineData("tenant", "xtenant", int.MaxValue)]
    [InlineData("--", "..", int.MaxValue)]
    public void Key_distance(string a, string b, int expected)
    {
        Assert.Equal(expected, CTX304BaggageKeyContractAnalyzer.KeyDistance.Between(a, b));
        Assert.Equal(expected, CTX304BaggageKeyContractAnalyzer.KeyDistance.Between(b, a));
    }

    private sealed class Text : AdditionalText
    {
        private readonly string content;

        public Text(string path, string content)
        {
            Path = path;
            this.content = content;
        }

        public override string Path { get; }

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) => Microsoft.CodeAnalysis.Text.SourceText.From(content);
    }

    private readonly record struct TextSpanLine(int Line, int Character)
    {
        public static TextSpanLine Of(Location location)
        {
            var start = location.GetLineSpan().StartLinePosition;
            return new TextSpanLine(start.Line, start.Character);
        }
    }

    /// <summary>The 1-based line and column of an offset, as the framework's WithSpan takes them.</summary>
    private static (int Line, int Character) LinePosition(string text, int offset)
    {
        var position = Microsoft.CodeAnalysis.Text.SourceText.From(text).Lines.GetLinePosition(offset);
        return (position.Line + 1, position.Character + 1);
    }
}
