using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX101AmbientContextNotRestoredAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX101AmbientContextNotRestoredTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using System.Threading.Tasks;
        using OpenTelemetry;
        using OpenTelemetry.Context;
        using OpenTelemetry.Trace;

        """;

    // ------------------------------------------------------------------ flagged

    [Fact]
    public Task Activity_Current_set_in_a_synchronous_method() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity)
            {
                [|Activity.Current = activity|];
                Work();
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Baggage_Current_set() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Baggage baggage)
            {
                [|Baggage.Current = baggage|];
            }
        }
        """);

    [Fact]
    public Task Static_baggage_mutators_always_write_Current() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(IEnumerable<KeyValuePair<string, string?>> items)
            {
                {|#0:Baggage.SetBaggage("tenant", "t1")|};
                {|#1:Baggage.SetBaggage(items)|};
                {|#2:Baggage.RemoveBaggage("tenant")|};
                {|#3:Baggage.ClearBaggage()|};
            }
        }
        """,
        // Consecutive changes of one store are one problem: one diagnostic on the first, the others as additional locations.
        Verify.Diagnostic("CTX101").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3));

    [Fact]
    public Task RuntimeContext_SetValue_and_Tracer_WithSpan() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(TelemetrySpan span)
            {
                [|RuntimeContext.SetValue("my.slot", 42)|];
                [|Tracer.WithSpan(span)|];
            }
        }
        """);

    [Fact]
    public Task Messages_name_the_store_and_the_method_or_say_the_lambda() => Verify.VerifyAnalyzerAsync(
        Usings + """
            class C
            {
                void M(Activity a)
                {
                    {|#0:RuntimeContext.SetValue("my.slot", 42)|};
                    Action f = () => { {|#1:Activity.Current = a|}; };
                    Action g = () => { {|#2:RuntimeContext.SetValue("my.slot", 43)|}; };
                }
            }
            """,
        Verify.Diagnostic("CTX101").WithLocation(0).WithMessage("'RuntimeContext slot' is changed here but the previous value is not restored on every path out of 'M'"),
        Verify.Diagnostic("CTX101").WithLocation(1).WithMessage("'Activity.Current' is changed here but the previous value is not restored on every path out of the lambda"),
        Verify.Diagnostic("CTX101").WithLocation(2).WithMessage("'RuntimeContext slot' is changed here but the previous value is not restored on every path out of the lambda"));

    [Fact]
    public Task Restored_without_finally_is_not_restored_on_the_exception_path() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity)
            {
                var previous = Activity.Current;
                [|Activity.Current = activity|];
                Work();
                Activity.Current = previous;
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Finally_that_restores_another_store_does_not_count() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity)
            {
                var previous = Baggage.Current;
                [|Activity.Current = activity|];
                try
                {
                    Work();
                }
                finally
                {
                    Baggage.Current = previous;
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Try_that_does_not_follow_the_set_does_not_cover_the_early_return() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity, bool early)
            {
                var previous = Activity.Current;
                [|Activity.Current = activity|];
                if (early)
                {
                    return;
                }

                try
                {
                    Work();
                }
                finally
                {
                    Activity.Current = previous;
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Baggage_set_in_async_code_is_flagged_because_the_holder_is_shared() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            async Task M()
            {
                [|Baggage.SetBaggage("tenant", "t1")|];
                await Task.Yield();
                Work();
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Synchronous_lambda_is_its_own_flow() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity)
            {
                Action enter = () =>
                {
                    [|Activity.Current = activity|];
                    Work();
                };
                enter();
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Lambda_inside_Main_is_not_start_up() => Verify.VerifyAnalyzerAsync(Usings + """
        static class Program
        {
            static void Main()
            {
                Action<string> handle = tenant =>
                {
                    [|Baggage.SetBaggage("tenant", tenant)|];
                    Console.WriteLine(tenant);
                };
                handle("t1");
            }
        }
        """);

    // ------------------------------------------------------------------ silent look-alikes

    [Fact]
    public Task Restored_in_the_finally_of_the_following_try() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity, Baggage baggage)
            {
                var previous = Activity.Current;
                Activity.Current = activity;
                try
                {
                    Work();
                }
                finally
                {
                    Activity.Current = previous;
                }

                var previousBaggage = Baggage.Current;
                Baggage.SetBaggage("k", "v");
                try
                {
                    Work();
                }
                finally
                {
                    Baggage.Current = previousBaggage;
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Set_inside_the_try_whose_finally_restores() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity)
            {
                var previous = Activity.Current;
                try
                {
                    Activity.Current = activity;
                    Work();
                }
                finally
                {
                    Activity.Current = previous;
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Conditional_set_restored_under_the_same_condition() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity, bool apply)
            {
                var previous = Activity.Current;
                if (apply) Activity.Current = activity;
                try
                {
                    Work();
                }
                finally
                {
                    if (apply) Activity.Current = previous;
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task RuntimeContext_slot_restored_in_finally() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M()
            {
                var previous = RuntimeContext.GetValue<int>("my.slot");
                RuntimeContext.SetValue("my.slot", 42);
                try
                {
                    Work();
                }
                finally
                {
                    RuntimeContext.SetValue("my.slot", previous);
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Using_a_scope_object() => Verify.VerifyAnalyzerAsync(Usings + """
        using ContextAnalyzers.Runtime;

        class C
        {
            void M(Activity activity)
            {
                using var scope = ContextScope.Activate(activity);
                using (ContextScope.SetBaggage("tenant", "t1"))
                {
                    Work();
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Set_inside_a_scope_type_whose_Dispose_restores() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class ActivityScope : IDisposable
        {
            private readonly Activity? previous;

            public ActivityScope(Activity activity)
            {
                previous = Activity.Current;
                Activity.Current = activity;
            }

            public void Dispose() => Activity.Current = previous;
        }

        sealed class BaggageScope : IDisposable
        {
            private readonly Baggage previous = Baggage.Current;

            public BaggageScope(string key, string value) => Baggage.SetBaggage(key, value);

            public void Dispose() => Baggage.Current = previous;
        }
        """);

    [Fact]
    public Task Activity_Current_in_async_method_and_async_lambda_is_confined() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            async Task M(Activity activity)
            {
                Activity.Current = activity;
                await Task.Yield();
                Work();
            }

            void N(Activity activity)
            {
                Func<Task> f = async () =>
                {
                    Activity.Current = activity;
                    await Task.Yield();
                    Work();
                };
                _ = f;
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Cutting_loose_from_the_shared_baggage_holder_in_async_code_is_confined() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            async Task M()
            {
                RuntimeContext.SetValue("otel.baggage", null);
                RuntimeContext.SetValue("my.slot", 1);
                await Task.Yield();
            }

            void Sync()
            {
                [|RuntimeContext.SetValue("otel.baggage", null)|];
                Work();
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Program_start_up_sets_process_wide_baggage_on_purpose() => Verify.VerifyAnalyzerAsync(Usings + """
        static class Program
        {
            static void Main()
            {
                Baggage.SetBaggage("deployment", "blue");
                Console.WriteLine("started");
            }
        }
        """);

    [Fact]
    public Task Top_level_statements_are_start_up()
    {
        var test = Verify.Create();
        test.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        test.TestCode = Usings + """
            Baggage.SetBaggage("deployment", "blue");
            Console.WriteLine("started");
            """;
        return test.RunAsync();
    }

    [Fact]
    public Task Restore_of_a_saved_value_is_not_a_new_change() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity)
            {
                var previous = Activity.Current;
                [|Activity.Current = activity|];
                Work();
                Activity.Current = previous;
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Instance_baggage_methods_and_reads_are_not_mutations() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            Baggage M()
            {
                var current = Baggage.Current;
                var value = Baggage.GetBaggage("k");
                return current.SetBaggage("k", value ?? "none");
            }
        }
        """);

    // ------------------------------------------------------------------ one statement, one diagnostic (CTX206)

    [Theory]
    [InlineData("Task M(Activity a) => Task.Run(() => { Activity.Current = a; });", "Activity.Current = a")]
    [InlineData("Task M() => Task.Run(() => { Baggage.SetBaggage(\"k\", \"v\"); return Task.CompletedTask; });", "Baggage.SetBaggage(\"k\", \"v\")")]
    [InlineData("async Task M() { await Task.Yield(); Baggage.SetBaggage(\"k\", \"v\"); }", "Baggage.SetBaggage(\"k\", \"v\")")]
    [InlineData("async Task M(Baggage b) { await Task.Yield(); Baggage.Current = b; }", "Baggage.Current = b")]
    public async Task A_change_lost_at_the_tail_gets_CTX206_not_CTX101(string member, string mutation)
    {
        var source = Usings + "class C { " + member + " }";
        var diagnostics = await CrashVerifier.AssertNoCrashAsync(source, ReferenceSet.All, AllAnalyzersVerifier.All);
        var start = source.IndexOf(mutation, StringComparison.Ordinal);
        var atMutation = diagnostics.Where(d => d.Location.SourceSpan.Start == start).Select(d => d.Id).ToList();

        Assert.True(Flow.TailMutation.IsLostAtTail(await MutationOperation(source, mutation), Flow.FlowGraphSource.Uncached(CancellationToken.None)));
        Assert.DoesNotContain(DiagnosticIds.AmbientContextNotRestored, atMutation);
        Assert.True(atMutation.Count <= 1, "One statement gets one diagnostic: " + string.Join(", ", atMutation));
        if (Catalog.Descriptors.Any(d => d.Id == DiagnosticIds.AmbientChangeLostOnReturn))
        {
            Assert.Contains(DiagnosticIds.AmbientChangeLostOnReturn, atMutation);
        }
    }

    [Fact]
    public async Task Baggage_change_early_in_async_code_is_CTX101s()
    {
        var source = Usings + "class C { async Task M() { Baggage.SetBaggage(\"k\", \"v\"); await Task.Delay(1); Console.WriteLine(Baggage.GetBaggage(\"k\")); } }";
        var diagnostics = await CrashVerifier.AssertNoCrashAsync(source, ReferenceSet.All, AllAnalyzersVerifier.All);
        var start = source.IndexOf("Baggage.SetBaggage", StringComparison.Ordinal);
        Assert.Equal(new[] { DiagnosticIds.AmbientContextNotRestored }, diagnostics.Where(d => d.Location.SourceSpan.Start == start).Select(d => d.Id).ToArray());
    }

    private static async Task<Microsoft.CodeAnalysis.IOperation> MutationOperation(string source, string mutation)
    {
        var test = Verify.Create();
        var project = test.CreateProject(new[] { source });
        var compilation = (await project.GetCompilationAsync())!;
        var tree = compilation.SyntaxTrees.Single();
        var start = source.IndexOf(mutation, StringComparison.Ordinal);
        var node = (await tree.GetRootAsync()).DescendantNodes().First(n => n.SpanStart == start && n.Span.Length == mutation.Length);
        return compilation.GetSemanticModel(tree).GetOperation(node)!;
    }

    // ------------------------------------------------------------------ robustness

    [Fact]
    public Task Bails_out_without_OpenTelemetry()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            class Baggage { public static Baggage Current { get; set; } = new(); }
            class C { void M() { Baggage.Current = new Baggage(); } }
            """;
        return test.RunAsync();
    }

    [Fact]
    public Task Activity_only_with_DiagnosticSource()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.DiagnosticSource;
        test.TestCode = """
            using System.Diagnostics;
            class C { void M(Activity a) { [|Activity.Current = a|]; } }
            """;
        return test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M(System.Diagnostics.Activity a) { System.Diagnostics.Activity.Current = ")]
    [InlineData("class C { void M() { OpenTelemetry.Baggage.SetBaggage(")]
    [InlineData("class C { void M() { OpenTelemetry.Context.RuntimeContext.SetValue(\"x\", Missing); try { } finally { OpenTelemetry.Context.RuntimeContext.SetValue(")]
    [InlineData("class C : System.IDisposable { C() { OpenTelemetry.Baggage.Current = default; } public void Dispose() => OpenTelemetry.Baggage.Current = ")]
    [InlineData("class C { void M() { OpenTelemetry.Trace.Tracer.WithSpan(); System.Diagnostics.Activity.Current = Unknown.Value; } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
