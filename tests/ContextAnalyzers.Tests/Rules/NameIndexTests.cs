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
            if (value is not (Names.None or Names.ImplicitNew or Names.EndNames))
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
    public void Look_alike_identifiers_strings_and_comments_are_not_names()
    {
        var (tree, body) = Parse("""
            class C
            {
                void M(dynamic x)
                {
                    // x.StartActivity(); Extract Inject
                    var s = "SetBaggage Current";
                    x.Starts(); x.start(); x.StartActivityAsync(); x.Currently = 1; x.Injected();
                }
            }
            """);
        Assert.Equal(Names.None, NameIndex.Get(tree, default).In(body.Span));
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

    [Fact]
    public void Target_typed_new_is_recorded_because_it_names_no_type()
    {
        var (tree, body) = Parse("class C { object M() { C c = new(); return new C(); } }");
        Assert.Equal(Names.ImplicitNew, NameIndex.Get(tree, default).In(body.Span));
    }

    private static (SyntaxTree Tree, SyntaxNode Body) Parse(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code);
        var body = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().First().Body!;
        return (tree, body);
    }
}
