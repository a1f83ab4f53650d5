using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis.Testing;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.Rules.CTX101AmbientContextNotRestoredAnalyzer, ContextAnalyzers.Rules.CTX101AmbientContextNotRestoredCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX101 on a team's own AsyncLocal-backed ambient context (static AsyncLocal fields, their wrappers, declared members).</summary>
public class CTX101TeamAmbientContextTests
{
    /// <summary>A team's context: a static AsyncLocal field and the static property that wraps it.</summary>
    internal const string Tenancy = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;

        public sealed class Tenant { }

        public static class TenantContext
        {
            private static readonly AsyncLocal<Tenant?> s_current = new();

            public static Tenant? Current
            {
                get => s_current.Value;
                set => s_current.Value = value;
            }

            // The member's own API: its callers own the change.
            public static void Set(Tenant? tenant) => s_current.Value = tenant;

            public static void Reset() => Current = new Tenant();
        }

        """;

    // ------------------------------------------------------------------ flagged

    [Fact]
    public Task Wrapper_set_in_a_synchronous_method() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            void M(Tenant tenant)
            {
                {|#0:TenantContext.Current = tenant|};
                Work();
            }

            void Work() { }
        }
        """,
        Verify.Diagnostic("CTX101").WithLocation(0).WithMessage("'TenantContext.Current' is changed here but the previous value is not restored on every path out of 'M'"));

    [Fact]
    public Task Field_Value_set_outside_the_wrapper() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class Handler
        {
            private static readonly AsyncLocal<Tenant?> s_tenant = new();

            void Handle(Tenant tenant)
            {
                [|s_tenant.Value = tenant|];
                Work();
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Without_OpenTelemetry_too() => RunAsync(Tenancy + """
        class C
        {
            void M(Tenant tenant)
            {
                [|TenantContext.Current = tenant|];
            }
        }
        """, references: ReferenceSet.FrameworkOnly);

    [Fact]
    public Task Restored_without_finally_is_not_restored_on_the_exception_path() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            void M(Tenant tenant)
            {
                var previous = TenantContext.Current;
                [|TenantContext.Current = tenant|];
                Work();
                TenantContext.Current = previous;
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Attribute_on_a_type_declares_its_static_settable_members() => Verify.VerifyAnalyzerAsync("""
        using ContextAnalyzers.Runtime;

        [AmbientContext]
        public static class RequestContext
        {
            public static string? CorrelationId { get; set; }
        }

        class C
        {
            void M(string id)
            {
                [|RequestContext.CorrelationId = id|];
                Work();
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Attribute_on_a_property_declares_it() => Verify.VerifyAnalyzerAsync("""
        using ContextAnalyzers.Runtime;

        public static class RequestContext
        {
            [AmbientContext]
            public static string? CorrelationId { get; set; }

            public static string? NotAmbient { get; set; }
        }

        class C
        {
            void M(string id)
            {
                [|RequestContext.CorrelationId = id|];
                RequestContext.NotAmbient = id;
            }
        }
        """);

    [Theory]
    [InlineData("P:Team.RequestContext.CorrelationId")]
    [InlineData("T:Team.RequestContext")]
    public Task Option_declares_members(string entry) => RunAsync("""
        namespace Team
        {
            public static class RequestContext
            {
                public static string? CorrelationId { get; set; }
            }

            class C
            {
                void M(string id)
                {
                    [|RequestContext.CorrelationId = id|];
                }
            }
        }
        """, editorConfig: "ctx_analyzers.ambient_members = " + entry);

    [Fact]
    public async Task Attribute_in_a_referenced_assembly()
    {
        var test = Verify.Create();
        test.TestState.AdditionalProjects["Tenancy"].Sources.Add(("Tenancy.cs", """
            using ContextAnalyzers.Runtime;

            namespace Tenancy
            {
                public sealed class Tenant { }

                [AmbientContext]
                public static class TenantContext
                {
                    private static readonly System.Threading.AsyncLocal<Tenant?> s_current = new();

                    public static Tenant? Current { get => s_current.Value; set => s_current.Value = value; }
                }
            }
            """));
        test.TestState.AdditionalProjects["Tenancy"].AdditionalReferences.Add(TestReferences.Runtime(TargetFramework.Net80));
        test.TestState.AdditionalProjectReferences.Add("Tenancy");
        test.TestCode = """
            using Tenancy;

            class C
            {
                void M(Tenant tenant)
                {
                    [|TenantContext.Current = tenant|];
                    Work();
                }

                void Work() { }
            }
            """;
        await test.RunAsync();
    }

    // ------------------------------------------------------------------ silent

    [Fact]
    public Task Restored_in_finally_is_silent() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            void M(Tenant tenant)
            {
                var previous = TenantContext.Current;
                TenantContext.Current = tenant;
                try
                {
                    Work();
                }
                finally
                {
                    TenantContext.Current = previous;
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Reentrancy_flag_reset_without_finally_is_not_reset_on_the_exception_path() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;

        public sealed class Serializer
        {
            private static readonly AsyncLocal<bool> s_inside = new();

            public void Write(object value)
            {
                [|s_inside.Value = true|];
                Write(value.ToString()!);
                s_inside.Value = false;
            }
        }
        """);

    [Fact]
    public Task Reentrancy_flag_set_and_reset_in_finally_is_silent() => Verify.VerifyAnalyzerAsync("""
        using System.Threading;

        public sealed class Serializer
        {
            private static readonly AsyncLocal<bool> s_inside = new();

            public void Write(object value)
            {
                if (s_inside.Value)
                {
                    return;
                }

                s_inside.Value = true;
                try
                {
                    Write(value.ToString()!);
                }
                finally
                {
                    s_inside.Value = false;
                }
            }
        }
        """);

    [Fact]
    public Task Instance_AsyncLocal_field_is_not_ambient() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class Holder
        {
            private readonly AsyncLocal<Tenant?> _current = new();

            void M(Tenant tenant) { _current.Value = tenant; }
        }
        """);

    [Fact]
    public Task Static_constructor_and_field_initializer_are_not_leaks() => Verify.VerifyAnalyzerAsync(Tenancy + """
        static class Defaults
        {
            private static readonly AsyncLocal<int> s_depth = new() { Value = 1 };
            private static readonly AsyncLocal<Tenant?> s_tenant = new();

            static Defaults()
            {
                s_tenant.Value = new Tenant();
                TenantContext.Current = new Tenant();
            }
        }
        """);

    [Fact]
    public Task Wrapper_accessors_and_setter_api_are_the_implementation() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            void M(Tenant tenant)
            {
                TenantContext.Set(tenant);
                TenantContext.Reset();
            }
        }
        """);

    [Fact]
    public Task Async_code_and_thread_pool_delegates_are_confined() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            async Task M(Tenant tenant)
            {
                TenantContext.Current = tenant;
                await Task.Delay(1).ConfigureAwait(false);
                Work();
            }

            Task N(Tenant tenant) => Task.Run(() => { TenantContext.Current = tenant; Work(); });

            void Q(Tenant tenant) => ThreadPool.QueueUserWorkItem(_ => { TenantContext.Current = tenant; Work(); });

            void Work() { }
        }
        """);

    [Fact]
    public Task Scope_type_constructor_sets_and_Dispose_restores() => Verify.VerifyAnalyzerAsync(Tenancy + """
        public sealed class TenantScope : IDisposable
        {
            private readonly Tenant? _previous;

            public TenantScope(Tenant tenant)
            {
                _previous = TenantContext.Current;
                TenantContext.Current = tenant;
            }

            public void Dispose() => TenantContext.Current = _previous;
        }

        class C
        {
            void M(Tenant tenant)
            {
                using (new TenantScope(tenant))
                {
                }
            }
        }
        """);

    [Fact]
    public Task A_constructor_that_installs_its_part_for_the_flow_is_silent() => Verify.VerifyAnalyzerAsync(Tenancy + """
        abstract class SerializerContext
        {
            protected SerializerContext(Tenant tenant)
            {
                TenantContext.Current = tenant;
            }
        }
        """);

    [Fact]
    public Task Returned_undo_scope_and_paired_hooks_are_silent() => Verify.VerifyAnalyzerAsync(Tenancy + """
        sealed class Undo : IDisposable
        {
            private readonly Action _undo;
            public Undo(Action undo) => _undo = undo;
            public void Dispose() => _undo();
        }

        class C
        {
            static IDisposable Use(Tenant tenant)
            {
                var previous = TenantContext.Current;
                TenantContext.Current = tenant;
                return new Undo(() => TenantContext.Current = previous);
            }

            void BeginRequest(Tenant tenant) { TenantContext.Current = tenant; }

            void EndRequest() { TenantContext.Current = null; }
        }
        """);

    [Fact]
    public Task Lazily_created_per_flow_value_is_silent() => Verify.VerifyAnalyzerAsync(Tenancy + """
        static class Cache
        {
            private static readonly AsyncLocal<List<int>?> s_items = new();

            public static List<int> Items
            {
                get
                {
                    if (s_items.Value is null)
                    {
                        s_items.Value = new List<int>();
                    }

                    return s_items.Value;
                }
            }

            public static void Touch()
            {
                if (s_items.Value == null)
                {
                    s_items.Value = new List<int>();
                }
            }
        }
        """);

    [Fact]
    public Task A_file_that_never_names_a_member_is_silent() => Verify.VerifyAnalyzerAsync(Tenancy + """
        class C
        {
            public static string? Name { get; set; }

            void M(string n) { Name = n; }
        }
        """);

    // ------------------------------------------------------------------ fixes

    [Fact]
    public Task Fix_restores_the_wrapper_in_finally() => Verify.VerifyCodeFixAsync(Tenancy + """
        class C
        {
            void M(Tenant tenant)
            {
                // the tenant for the work below
                [|TenantContext.Current = tenant|];
                Work();
            }

            void Work() { }
        }
        """, Tenancy + """
        class C
        {
            void M(Tenant tenant)
            {
                // the tenant for the work below
                var previousTenant = TenantContext.Current;
                TenantContext.Current = tenant;
                try
                {
                    Work();
                }
                finally
                {
                    TenantContext.Current = previousTenant;
                }
            }

            void Work() { }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey);

    [Fact]
    public Task Fix_all_restores_fields_and_wrappers_in_one_pass() => Verify.VerifyCodeFixAsync(Tenancy + """
        class Handler
        {
            private static readonly AsyncLocal<bool> s_flag = new();

            void A(Tenant tenant)
            {
                [|TenantContext.Current = tenant|];
                Work();
            }

            void B()
            {
                [|s_flag.Value = true|];
                Work();
            }

            void Work() { }
        }
        """, Tenancy + """
        class Handler
        {
            private static readonly AsyncLocal<bool> s_flag = new();

            void A(Tenant tenant)
            {
                var previousTenant = TenantContext.Current;
                TenantContext.Current = tenant;
                try
                {
                    Work();
                }
                finally
                {
                    TenantContext.Current = previousTenant;
                }
            }

            void B()
            {
                var previousValue = s_flag.Value;
                s_flag.Value = true;
                try
                {
                    Work();
                }
                finally
                {
                    s_flag.Value = previousValue;
                }
            }

            void Work() { }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey);

    [Fact]
    public async Task Fix_restores_a_member_declared_in_the_option()
    {
        var test = Verify.Create();
        test.TestCode = """
            namespace Team
            {
                public static class RequestContext
                {
                    public static string? CorrelationId { get; set; }
                }

                class C
                {
                    void M(string id)
                    {
                        [|RequestContext.CorrelationId = id|];
                        System.Console.WriteLine(id);
                    }
                }
            }
            """;
        test.FixedCode = """
            namespace Team
            {
                public static class RequestContext
                {
                    public static string? CorrelationId { get; set; }
                }

                class C
                {
                    void M(string id)
                    {
                        var previousValue = RequestContext.CorrelationId;
                        RequestContext.CorrelationId = id;
                        try
                        {
                            System.Console.WriteLine(id);
                        }
                        finally
                        {
                            RequestContext.CorrelationId = previousValue;
                        }
                    }
                }
            }
            """;
        test.EditorConfig = "ctx_analyzers.ambient_members = P:Team.RequestContext.CorrelationId";
        test.CodeActionEquivalenceKey = CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task ContextScope_is_not_offered_for_a_team_member()
    {
        var test = Verify.Create();
        test.TestCode = Tenancy + """
            class C
            {
                void M(Tenant tenant)
                {
                    [|TenantContext.Current = tenant|];
                    Work();
                }

                void Work() { }
            }
            """;
        test.NoFixOfferedKey = CTX101AmbientContextNotRestoredCodeFix.UseContextScopeKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task Half_typed_code_does_not_crash()
    {
        await CrashVerifier.AssertNoCrashAsync(Tenancy + """
            class C
            {
                static readonly AsyncLocal<Missing> s_x = new();
                void M(Tenant t) { TenantContext.Current = ; s_x.Value = t; TenantContext. = t; Undeclared.Current = t; }
            }
            """);
    }

    private static async Task RunAsync(string source, ReferenceSet references = ReferenceSet.All, string? editorConfig = null)
    {
        var test = Verify.Create();
        test.TestCode = source;
        test.References = references;
        test.EditorConfig = editorConfig;
        await test.RunAsync();
    }
}
