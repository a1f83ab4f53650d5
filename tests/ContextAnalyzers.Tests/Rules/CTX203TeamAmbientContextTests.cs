using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX203ContextInThreadLocalStorageAnalyzer,
    ContextAnalyzers.Rules.CTX203ContextInThreadLocalStorageCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX203 on thread-local storage that plays the role of a team's ambient context.</summary>
public class CTX203TeamAmbientContextTests
{
    private const string Tenancy = CTX101TeamAmbientContextTests.Tenancy;

    [Fact]
    public Task Thread_static_field_holding_the_context_type() => Verify.VerifyAnalyzerAsync(Tenancy + """
        static class Legacy
        {
            [ThreadStatic]
            private static Tenant? {|#0:t_tenant|};

            private static readonly ThreadLocal<Tenant?> {|#1:s_tenant|} = new();
        }
        """,
        Verify.Diagnostic("CTX203").WithLocation(0).WithMessage("'t_tenant' keeps Tenant in a [ThreadStatic] field: after an await or in Task.Run the code runs on another thread and sees another flow's value; use AsyncLocal<T>"),
        Verify.Diagnostic("CTX203").WithLocation(1).WithMessage("'s_tenant' keeps Tenant in a ThreadLocal<T>: after an await or in Task.Run the code runs on another thread and sees another flow's value; use AsyncLocal<T>"));

    [Fact]
    public async Task Thread_static_field_declared_as_an_ambient_member()
    {
        var test = Verify.Create();
        test.TestCode = """
            using System;

            namespace Team
            {
                static class Depth
                {
                    [ThreadStatic]
                    internal static int [|t_depth|];

                    [ThreadStatic]
                    internal static int t_other;
                }
            }
            """;
        test.EditorConfig = "ctx_analyzers.ambient_members = F:Team.Depth.t_depth";
        test.References = ReferenceSet.FrameworkOnly;
        await test.RunAsync();
    }

    [Fact]
    public Task Framework_and_special_types_of_ambient_members_are_not_context_types() => Verify.VerifyAnalyzerAsync(Tenancy + """
        static class Caches
        {
            private static readonly AsyncLocal<bool> s_inside = new();
            private static readonly AsyncLocal<System.Text.StringBuilder?> s_builder = new();

            [ThreadStatic]
            private static bool t_flag;

            [ThreadStatic]
            private static System.Text.StringBuilder? t_builder;
        }
        """);

    [Fact]
    public Task Fix_keeps_the_context_in_an_AsyncLocal() => Verify.VerifyCodeFixAsync(Tenancy + """
        static class Legacy
        {
            private static readonly ThreadLocal<Tenant?> [|s_tenant|] = new();

            public static Tenant? Get() => s_tenant.Value;
        }
        """, Tenancy + """
        static class Legacy
        {
            private static readonly AsyncLocal<Tenant?> s_tenant = new();

            public static Tenant? Get() => s_tenant.Value;
        }
        """, CTX203ContextInThreadLocalStorageCodeFix.UseAsyncLocalKey);
}
