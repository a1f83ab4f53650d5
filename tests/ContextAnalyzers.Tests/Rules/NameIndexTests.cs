using System.Collections.Immutable;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// <see cref="NameIndex"/>: the name prefilter the rules use to register their operation actions only for the bodies
/// that name a method or property they match. A name it failed to see would silence a rule, so every name is checked.
/// </summary>
public class NameIndexTests
{
    public static TheoryData<string> EveryName()
    {
        var data = new TheoryData<string>();
        foreach (var value in Enum.GetValues<Names>())
        {
            if (value is not (Names.None or Names.EndNames or Names.FlowNames or Names.WorkNames))
            {
                data.Add(value.ToString());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryName))]
    public void Every_name_is_found_as_a_member_a_binding_and_a_simple_name(string name)
    {
        var expected = Enum.Parse<Names>(name);
        foreach (var shape in new[] { $"x.{name}(1)", $"x?.{name}()", $"{name}()", $"x.@{name}", $"x.{name}<int>()" })
        {
            var (tree, body) = Parse($"class C {{ void M(dynamic x) {{ {shape}; }} }}");
            Assert.Equal(expected, NameIndex.Get(tree, default).In(body.Span));
        }
    }

    [Fact]
    public void Look_alike_identifiers_are_not_names()
    {
        var (tree, body) = Parse("""
            class C
            {
                void M(dynamic x)
                {
                    x.Starts(); x.start(); x.StartActivityAsync(); x.Currently = 1; x.Injected(); x._Extract(); x.Extract2();
                    var s = "SetBaggageX CurrentSpans";
                }
            }
            """);
        Assert.Equal(Names.None, NameIndex.Get(tree, default).In(body.Span));
    }

    [Fact]
    public void Names_in_comments_and_strings_count_a_prefilter_may_say_yes_too_often()
    {
        var (tree, body) = Parse("""class C { void M() { /* Extract */ var s = "Inject"; } }""");
        Assert.Equal(Names.Extract | Names.Inject, NameIndex.Get(tree, default).In(body.Span));
    }

    [Fact]
    public void A_unicode_escape_can_spell_any_name_so_the_file_matches_everything()
    {
        var (tree, body) = Parse("class C { void M(dynamic x) { x.\\u0045xtract(); } }");
        Assert.Equal(Names.Extract, NameIndex.Get(tree, default).In(body.Span) & Names.Extract);
        Assert.Equal(Names.StartActivity, NameIndex.Get(tree, default).In(body.Span) & Names.StartActivity);
    }

    [Fact]
    public void Only_the_names_inside_the_span_count()
    {
        var tree = CSharpSyntaxTree.ParseText("""
            class C
            {
                void A(dynamic x) { x.Extract(); }
                void B(dynamic x) { x.Inject(); }
                void D(dynamic x) { }
            }
            """);
        var methods = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToArray();
        var index = NameIndex.Get(tree, default);
        Assert.Equal(Names.Extract, index.In(methods[0].Span));
        Assert.Equal(Names.Inject, index.In(methods[1].Span));
        Assert.Equal(Names.None, index.In(methods[2].Span));
        Assert.Equal(Names.Extract | Names.Inject, index.In(tree.GetRoot().Span));
    }

    [Theory]
    [InlineData("Activity.Current?.Stop(); x.Start();", "Telemetry", "Current, Stop, Start")]
    [InlineData("var source = new System.Diagnostics.ActivitySource(\"s\"); x.Start();", "Telemetry", "Start")]
    [InlineData("x.AddBaggage(\"k\", \"v\");", "Telemetry", "AddBaggage")]
    [InlineData("System.Diagnostics.DistributedContextPropagator.Current.ToString();", "Telemetry", "Current")]
    [InlineData("System.Threading.ExecutionContext.SuppressFlow(); x.Start(); x.Dispose();", "Flow", "SuppressFlow")]
    [InlineData("System.Threading.ThreadPool.UnsafeQueueUserWorkItem(_ => { }, null); x.Start();", "Flow", "UnsafeQueueUserWorkItem")]
    [InlineData("x.Start(); x.Dispose(); x.Add(1); x.Stop(); x.Current();", "None", "None")]
    public void Without_OpenTelemetry_only_the_flow_names_count_in_a_file_without_a_telemetry_word(string statement, string anchors, string expected)
    {
        // Strings: the enums are internal (the theory is public).
        var code = $"class C {{ void M(dynamic x) {{ {statement} }} }}";
        Assert.Equal(Enum.Parse<AnchorWords>(anchors), NameIndex.Mentions(CSharpSyntaxTree.ParseText(code), default));
        Assert.Equal(Enum.Parse<Names>(expected), NamesOfFirstBody(code, ReferenceSet.DiagnosticSource));
    }

    [Fact]
    public void A_unicode_escape_counts_as_every_anchor_word()
    {
        const string code = "class C { void M(dynamic x) { x.\\u0053tart(); } }";
        Assert.Equal(AnchorWords.Telemetry | AnchorWords.Flow | AnchorWords.Ambient, NameIndex.Mentions(CSharpSyntaxTree.ParseText(code), default));
        Assert.Equal((Names)ulong.MaxValue, NamesOfFirstBody(code, ReferenceSet.DiagnosticSource));
    }

    [Fact]
    public void AsyncLocal_and_AmbientContext_are_the_ambient_anchor_words()
    {
        // Where a team's own ambient context can be declared: a static AsyncLocal<T> field or [AmbientContext].
        Assert.Equal(AnchorWords.Ambient, NameIndex.Mentions(CSharpSyntaxTree.ParseText("static class T { static System.Threading.AsyncLocal<int> s = new(); }"), default));
        Assert.Equal(AnchorWords.Ambient, NameIndex.Mentions(CSharpSyntaxTree.ParseText("[AmbientContext] static class T { }"), default));
        Assert.Equal(AnchorWords.None, NameIndex.Mentions(CSharpSyntaxTree.ParseText("static class T { static int s; }"), default));
    }

    [Fact]
    public void With_OpenTelemetry_every_file_is_indexed()
    {
        // Tracer and Baggage.Current can be used without any anchor word: the gate is off when OpenTelemetry is referenced.
        const string code = "class C { void M(dynamic x) { x.Start(); x.Dispose(); } }";
        Assert.Equal(AnchorWords.None, NameIndex.Mentions(CSharpSyntaxTree.ParseText(code), default));
        Assert.Equal(Names.Start | Names.Dispose, NamesOfFirstBody(code, ReferenceSet.OpenTelemetryApi | ReferenceSet.DiagnosticSource));
        Assert.Equal(Names.None, NamesOfFirstBody(code, ReferenceSet.DiagnosticSource));
    }

    private static Names NamesOfFirstBody(string code, ReferenceSet references)
    {
        var tree = CSharpSyntaxTree.ParseText(code);
        var compilation = CSharpCompilation.Create("T", new[] { tree }, TestReferences.Get(references), new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var model = compilation.GetSemanticModel(tree);
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().First();
        var block = model.GetOperation(method) ?? throw new InvalidOperationException("no operation for the method");
        return NameIndex.In(ImmutableArray.Create(block), default);
    }

    private static (SyntaxTree Tree, SyntaxNode Body) Parse(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code);
        var body = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().First().Body!;
        return (tree, body);
    }
}
