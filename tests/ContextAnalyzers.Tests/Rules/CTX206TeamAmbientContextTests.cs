using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX206AmbientChangeLostOnReturnAnalyzer,
    ContextAnalyzers.Rules.CTX206AmbientChangeLostOnReturnCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX206 on a team's own AsyncLocal-backed ambient context.</summary>
public class CTX206TeamAmbientContextTests
{
    private const string Tenancy = CTX101TeamAmbientContextTests.Tenancy;

    [Fact]
    public Task Wrapper_set_at_the_tail_of_an_async_method() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            async Task M(Tenant tenant)
            {
                await Task.Yield();
                {|#0:TenantContext.Current = tenant|};
            }
        }
        """,
        Verify.Diagnostic("CTX206").WithLocation(0).WithMessage("This change of 'TenantContext.Current' is lost: nothing after it in this flow observes it, and the caller's context comes back when the flow returns"));

    [Fact]
    public Task Field_set_at_the_tail_of_a_Task_Run_delegate() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            private static readonly AsyncLocal<Tenant?> s_tenant = new();

            Task M(Tenant tenant) => Task.Run(() => { [|s_tenant.Value = tenant|]; });
        }
        """);

    [Fact]
    public Task Observed_after_the_change_is_silent() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            async Task M(Tenant tenant)
            {
                TenantContext.Current = tenant;
                await WorkAsync().ConfigureAwait(false);
            }

            void N(Tenant tenant)
            {
                TenantContext.Current = tenant; // synchronous: CTX101's business
            }

            Task WorkAsync() => Task.CompletedTask;
        }
        """);

    [Fact]
    public Task Restore_at_the_tail_is_silent() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            async Task M(Tenant tenant)
            {
                var previous = TenantContext.Current;
                TenantContext.Current = tenant;
                await WorkAsync();
                TenantContext.Current = previous;
            }

            Task WorkAsync() => Task.CompletedTask;
        }
        """);

    // A flag put back to its default in the finally of an async method (a description or reentrancy flag) is a reset,
    // redundant at the tail but not a lost change; a non-default value there is.
    [Fact]
    public Task Flag_reset_to_its_default_in_a_finally_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;
        using System.Threading.Tasks;

        static class Describing
        {
            private static readonly AsyncLocal<bool> s_within = new();
            private static readonly AsyncLocal<int> s_depth = new();

            public static bool Within { get => s_within.Value; set => s_within.Value = value; }

            public static async Task DescribeAsync()
            {
                Within = true;
                try
                {
                    await Task.Yield();
                }
                finally
                {
                    Within = false;
                }
            }

            public static async Task CountAsync()
            {
                s_depth.Value = 1;
                try
                {
                    await Task.Yield();
                }
                finally
                {
                    s_depth.Value = 0;
                }
            }

            public static async Task SetAsync()
            {
                await Task.Yield();
                [|Within = true|];
            }
        }
        """);

    [Fact]
    public Task Thread_static_write_at_the_tail_is_not_lost() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            [ThreadStatic]
            private static Tenant? t_tenant;

            async Task M(Tenant tenant)
            {
                await Task.Yield();
                t_tenant = tenant;
            }
        }
        """);

    [Fact]
    public Task Fix_removes_the_lost_write() => Verify.VerifyCodeFixAsync(Tenancy + """
        class C
        {
            async Task M(Tenant tenant)
            {
                await Task.Yield();
                [|TenantContext.Current = tenant|];
            }
        }
        """, Tenancy + """
        class C
        {
            async Task M(Tenant tenant)
            {
                await Task.Yield();
            }
        }
        """, CTX206AmbientChangeLostOnReturnCodeFix.RemoveLostChangeKey);

    [Fact]
    public async Task A_declared_property_that_may_do_more_is_not_removed()
    {
        var test = Verify.Create();
        test.TestCode = """
            using System.Threading.Tasks;
            using ContextAnalyzers.Runtime;

            public static class RequestContext
            {
                [AmbientContext]
                public static string? CorrelationId { get; set; }
            }

            class C
            {
                async Task M(string id)
                {
                    await Task.Yield();
                    [|RequestContext.CorrelationId = id|];
                }
            }
            """;
        test.NoFixOfferedKey = CTX206AmbientChangeLostOnReturnCodeFix.RemoveLostChangeKey;
        await test.RunAsync();
    }
}
