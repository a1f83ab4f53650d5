using ContextAnalyzers.Flow;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX399InvalidAmbientMembersOptionAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX399 for ctx_analyzers.ambient_members: each invalid entry is reported once, the valid ones apply.</summary>
public class CTX399AmbientMembersOptionTests
{
    private const string Source = """
        {|#0:namespace|} Team
        {
            public class RequestContext
            {
                public static string? CorrelationId { get; set; }
                public static string? ReadOnly => null;
                public static int Plain;
                public string? Instance { get; set; }
            }
        }
        """;

    [Fact]
    public async Task Invalid_entries_are_reported_with_what_is_wrong()
    {
        var test = Verify.Create();
        test.TestCode = Source;
        test.EditorConfig = AmbientMembers.MembersOption + " = P:Team.RequestContext.CorrelationId, Team.RequestContext, P:Team.Missing.Current, P:Team.RequestContext.ReadOnly, P:Team.RequestContext.Instance, F:Team.RequestContext.Plain";
        test.References = ReferenceSet.FrameworkOnly;
        test.ExpectedDiagnostics.AddRange(new[]
        {
            Error("'Team.RequestContext' is not a documentation ID of a property, field or type (P:, F: or T: followed by the full name)"),
            Error("'P:Team.Missing.Current' matches no member of the compilation or its references"),
            Error("'P:Team.RequestContext.ReadOnly' is not a static property with a setter"),
            Error("'P:Team.RequestContext.Instance' is not a static property with a setter"),
            Error("'F:Team.RequestContext.Plain' is not a static AsyncLocal<T>, ThreadLocal<T> or [ThreadStatic] field"),
        });
        await test.RunAsync();
    }

    [Fact]
    public async Task Valid_entries_and_a_second_file_report_nothing_more()
    {
        var test = Verify.Create();
        test.Sources.Add(Source);
        test.Sources.Add("namespace Team { class Other { } }");
        test.EditorConfig = AmbientMembers.MembersOption + " = P:Team.RequestContext.CorrelationId, T:Team.RequestContext, T:Team.Nothing";
        test.References = ReferenceSet.FrameworkOnly;
        test.ExpectedDiagnostics.Add(Error("'T:Team.Nothing' matches no member of the compilation or its references"));
        await test.RunAsync();
    }

    [Fact]
    public Task No_option_no_diagnostic() => Verify.VerifyAnalyzerAsync(Source.Replace("{|#0:namespace|}", "namespace"));

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Error(string error)
        => Verify.Diagnostic("CTX399").WithLocation(0).WithMessage($"Option '{AmbientMembers.MembersOption}' has an invalid value: {error}");
}
