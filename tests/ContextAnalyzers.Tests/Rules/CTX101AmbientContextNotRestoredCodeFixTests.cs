using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.Rules.CTX101AmbientContextNotRestoredAnalyzer, ContextAnalyzers.Rules.CTX101AmbientContextNotRestoredCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX101AmbientContextNotRestoredCodeFixTests
{
    private const string Usings = """
        using System.Diagnostics;
        using OpenTelemetry;
        using OpenTelemetry.Context;

        """;

    [Fact]
    public Task RestoreInFinally_activity() => Verify.VerifyCodeFixAsync(Usings + """
        class C
        {
            int M(Activity activity, bool early)
            {
                // make it current for the work below
                [|Activity.Current = activity|]; // trailing note
                Work();
                if (early)
                {
                    return 1;
                }

                return 2;
            }

            void Work() { }
        }
        """, Usings + """
        class C
        {
            int M(Activity activity, bool early)
            {
                // make it current for the work below
                var previousActivity = Activity.Current;
                Activity.Current = activity; // trailing note
                try
                {
                    Work();
                    if (early)
                    {
                        return 1;
                    }

                    return 2;
                }
                finally
                {
                    Activity.Current = previousActivity;
                }
            }

            void Work() { }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey);

    [Fact]
    public Task RestoreInFinally_baggage_adds_no_dependency_and_one_finally_covers_both_changes()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.AllButRuntime;
        test.TestCode = Usings + """
            class C
            {
                void M(Baggage baggage)
                {
                    {|#0:Baggage.SetBaggage("tenant", "t1")|};
                    {|#1:Baggage.Current = baggage|};
                    Work();
                }

                void Work() { }
            }
            """;
        // Consecutive changes are one diagnostic; the fix's finally covers the second change too.
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CTX101").WithLocation(0).WithLocation(1));
        test.FixedCode = Usings + """
            class C
            {
                void M(Baggage baggage)
                {
                    var previousBaggage = Baggage.Current;
                    Baggage.SetBaggage("tenant", "t1");
                    try
                    {
                        Baggage.Current = baggage;
                        Work();
                    }
                    finally
                    {
                        Baggage.Current = previousBaggage;
                    }
                }

                void Work() { }
            }
            """;
        test.CodeActionEquivalenceKey = CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey;
        return test.RunAsync();
    }

    [Fact]
    public Task RestoreInFinally_runtime_context_slot() => Verify.VerifyCodeFixAsync(Usings + """
        class C
        {
            void M()
            {
                [|RuntimeContext.SetValue("my.slot", 42)|];
                Work();
            }

            void Work() { }
        }
        """, Usings + """
        class C
        {
            void M()
            {
                var previousValue = RuntimeContext.GetValue<int>("my.slot");
                RuntimeContext.SetValue("my.slot", 42);
                try
                {
                    Work();
                }
                finally
                {
                    RuntimeContext.SetValue("my.slot", previousValue);
                }
            }

            void Work() { }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey);

    [Fact]
    public Task RestoreInFinally_in_async_code_keeps_local_functions_outside_the_try() => Verify.VerifyCodeFixAsync(Usings + """
        using System.Threading.Tasks;

        class C
        {
            async Task M()
            {
                Log();
                [|Baggage.SetBaggage("tenant", "t1")|];
                await Task.Delay(1);
                Log();

                void Log() => System.Console.WriteLine(Baggage.GetBaggage("tenant"));
            }
        }
        """, Usings + """
        using System.Threading.Tasks;

        class C
        {
            async Task M()
            {
                Log();
                var previousBaggage = Baggage.Current;
                Baggage.SetBaggage("tenant", "t1");
                try
                {
                    await Task.Delay(1);
                    Log();
                }
                finally
                {
                    Baggage.Current = previousBaggage;
                }

                void Log() => System.Console.WriteLine(Baggage.GetBaggage("tenant"));
            }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey);

    [Fact]
    public Task UseContextScope_for_every_kind_of_change() => Verify.VerifyCodeFixAsync(Usings + """
        using System.Collections.Generic;

        class C
        {
            void M(Activity activity, Baggage baggage, Baggage other, IEnumerable<KeyValuePair<string, string?>> items)
            {
                {|#0:Activity.Current = activity|};
                {|#1:Activity.Current = null|};
                {|#2:Baggage.Current = baggage|};
                {|#3:Baggage.SetBaggage("tenant", "t1")|}; // keep me
                {|#4:Baggage.SetBaggage(items)|};
                {|#5:Baggage.RemoveBaggage("tenant")|};
                {|#6:Baggage.ClearBaggage()|};
                {|#7:Baggage.SetBaggage("k", "v", other)|};
                {|#8:RuntimeContext.SetValue("my.slot", 42)|};
                Work();
            }

            void Work() { }
        }
        """, Usings + """
        using System.Collections.Generic;
        using ContextAnalyzers.Runtime;

        class C
        {
            void M(Activity activity, Baggage baggage, Baggage other, IEnumerable<KeyValuePair<string, string?>> items)
            {
                using var scope = ContextScope.Activate(activity);
                using var scope1 = ContextScope.ClearActivity();
                using var scope2 = ContextScope.Use(baggage);
                using var scope3 = ContextScope.SetBaggage("tenant", "t1"); // keep me
                using var scope4 = ContextScope.SetBaggage(items);
                using var scope5 = ContextScope.RemoveBaggage("tenant");
                using var scope6 = ContextScope.ClearBaggage();
                using var scope7 = ContextScope.Use(other.SetBaggage("k", "v"));
                using var scope8 = ContextScope.SetValue<int>("my.slot", 42);
                Work();
            }

            void Work() { }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.UseContextScopeKey,
        // One diagnostic per store (consecutive changes are one problem); the fix turns each change into a scope.
        Verify.Diagnostic("CTX101").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("CTX101").WithLocation(2).WithLocation(3).WithLocation(4).WithLocation(5).WithLocation(6).WithLocation(7),
        Verify.Diagnostic("CTX101").WithLocation(8));

    [Fact]
    public Task UseContextScope_keeps_the_qualified_name_when_the_document_has_its_own_ContextScope() => Verify.VerifyCodeFixAsync(Usings + """
        namespace App
        {
            class ContextScope { }

            class C
            {
                void M(Activity activity)
                {
                    [|Activity.Current = activity|];
                    Work();
                }

                void Work() { }
            }
        }
        """, Usings + """
        namespace App
        {
            class ContextScope { }

            class C
            {
                void M(Activity activity)
                {
                    using var scope = global::ContextAnalyzers.Runtime.ContextScope.Activate(activity);
                    Work();
                }

                void Work() { }
            }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.UseContextScopeKey);

    [Fact]
    public Task UseContextScope_not_offered_without_the_runtime() => Verify.VerifyNoCodeFixOfferedAsync(Usings + """
        class C
        {
            void M(Activity activity)
            {
                [|Activity.Current = activity|];
                Work();
            }

            void Work() { }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.UseContextScopeKey, ReferenceSet.AllButRuntime);

    [Theory]
    [InlineData("parentContext: default")]
    [InlineData("default(ActivityContext)")]
    public Task UseContextScope_not_offered_for_clearing_before_a_start_with_a_default_parent(string parent) => Verify.VerifyNoCodeFixOfferedAsync(Usings + """
        class C
        {
            static readonly ActivitySource Source = new("S");

            void M()
            {
                [|Activity.Current = null|];
                using var root = Source.StartActivity("nightly", ActivityKind.Internal, PARENT);
            }
        }
        """.Replace("PARENT", parent, System.StringComparison.Ordinal), CTX101AmbientContextNotRestoredCodeFix.UseContextScopeKey);

    [Fact]
    public Task RestoreInFinally_not_offered_when_nothing_follows_the_change() => Verify.VerifyNoCodeFixOfferedAsync(Usings + """
        class C
        {
            void Enter(Activity activity)
            {
                [|Activity.Current = activity|];
            }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey);

    [Fact]
    public Task No_fix_for_an_embedded_statement() => Verify.VerifyNoCodeFixOfferedAsync(Usings + """
        class C
        {
            void M(Activity activity, bool apply)
            {
                if (apply) [|Activity.Current = activity|];
                Work();
            }

            void Work() { }
        }
        """, CTX101AmbientContextNotRestoredCodeFix.UseContextScopeKey);
}
