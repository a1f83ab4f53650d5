using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// <see cref="KnownTypes.MayUseTelemetry"/>: the compilation-wide gate that lets every rule but the BCL flow rules register
/// nothing in a compilation that does not use OpenTelemetry or ActivitySource (the issue-8 bail-out). A wrong "false"
/// would silence the rules, so each way a compilation can use telemetry is checked.
/// </summary>
public class TelemetryGateTests
{
    private const string Plain = "class Plain { int Add(int a, int b) => a + b; void Start() { } }";

    [Fact]
    public void A_compilation_without_OpenTelemetry_and_without_a_telemetry_word_is_gated()
    {
        Assert.False(Gate(ReferenceSet.DiagnosticSource, Plain, "class Other { void Dispose() { } }"));
    }

    [Theory]
    [InlineData("class A { System.Diagnostics.ActivitySource S = new(\"s\"); }")]
    [InlineData("class A { void M(dynamic tracing) { using var activity = tracing.Begin(); } }")]
    [InlineData("class A { void M(dynamic a) { a.AddBaggage(\"k\", \"v\"); } }")]
    [InlineData("class A { object P => System.Diagnostics.DistributedContextPropagator.Current; }")]
    [InlineData("class A { string S = \"\\u0041ctivity\"; }")]
    public void One_file_that_spells_a_telemetry_word_opens_the_gate(string file)
    {
        Assert.True(Gate(ReferenceSet.DiagnosticSource, Plain, file));
    }

    [Fact]
    public void OpenTelemetry_opens_the_gate_without_any_word()
    {
        // Tracer, Baggage.Current and propagators can be used through `var` and extension methods without the words.
        Assert.True(Gate(ReferenceSet.DiagnosticSource | ReferenceSet.OpenTelemetryApi, Plain));
    }

    [Fact]
    public void Flow_words_alone_do_not_open_the_gate()
    {
        // CTX201 and CTX202 are not gated by it: they key on SuppressFlow and the Unsafe APIs themselves.
        Assert.False(Gate(ReferenceSet.DiagnosticSource, Plain, "class A { void M() { System.Threading.ExecutionContext.SuppressFlow().Undo(); } }"));
    }

    [Fact]
    public async Task The_flow_rules_still_report_in_a_gated_compilation()
    {
        // Every analyzer at once: only CTX202 (flow suppression never undone) reports, with no telemetry word anywhere.
        var test = AllAnalyzersVerifier.Create();
        test.References = ReferenceSet.DiagnosticSource;
        test.TestCode = """
            using System.Threading;
            using System.Threading.Tasks;
            class C { void M() { {|CTX202:ExecutionContext.SuppressFlow()|}; Task.Run(() => { }); } }
            """;
        await test.RunAsync();
    }

    private static bool Gate(ReferenceSet references, params string[] files)
    {
        var compilation = CSharpCompilation.Create(
            "Gate",
            files.Select(f => CSharpSyntaxTree.ParseText(f)),
            TestReferences.Get(references),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        return KnownTypes.Get(compilation).MayUseTelemetry(default);
    }
}
