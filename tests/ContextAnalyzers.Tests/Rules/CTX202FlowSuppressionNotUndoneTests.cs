using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX202FlowSuppressionNotUndoneAnalyzer,
    ContextAnalyzers.Rules.CTX202FlowSuppressionNotUndoneCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX202FlowSuppressionNotUndoneTests
{
    private static string Code(string members) => $$"""
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            Timer? timer;
            static void Work() { }
        {{members}}
        }
        """;

    // ------------------------------------------------------------------ flagged

    [Theory]
    [InlineData("void M() { [|ExecutionContext.SuppressFlow()|]; Task.Run(Work); ExecutionContext.RestoreFlow(); }")]
    [InlineData("void M() { var control = [|ExecutionContext.SuppressFlow()|]; Task.Run(Work); control.Undo(); }")]
    [InlineData("void M() { var control = [|ExecutionContext.SuppressFlow()|]; Task.Run(Work); control.Dispose(); }")]
    [InlineData("void M() { [|ExecutionContext.SuppressFlow()|]; Task.Run(Work); }")]
    [InlineData("void M() { AsyncFlowControl control; control = [|ExecutionContext.SuppressFlow()|]; Task.Run(Work); }")]
    [InlineData("void M() { var control = [|ExecutionContext.SuppressFlow()|]; Work(); try { Task.Run(Work); } finally { control.Undo(); } }")]
    [InlineData("void M() { try { Work(); } finally { ExecutionContext.RestoreFlow(); } [|ExecutionContext.SuppressFlow()|]; }")]
    // Guarded, but something that may throw runs between the suppression and the try, or no try follows.
    [InlineData("void M() { var restore = !ExecutionContext.IsFlowSuppressed(); if (restore) { [|ExecutionContext.SuppressFlow()|]; Work(); } try { Task.Run(Work); } finally { if (restore) ExecutionContext.RestoreFlow(); } }")]
    [InlineData("void M() { var restore = false; if (!ExecutionContext.IsFlowSuppressed()) { [|ExecutionContext.SuppressFlow()|]; restore = true; } Work(); try { Task.Run(Work); } finally { if (restore) ExecutionContext.RestoreFlow(); } }")]
    [InlineData("void M() { if (!ExecutionContext.IsFlowSuppressed()) { [|ExecutionContext.SuppressFlow()|]; } Task.Run(Work); }")]
    // Undone in a finally on one path only: the graph has a path through the finally that leaves the flow suppressed.
    [InlineData("void M(bool cancelled) { var control = [|ExecutionContext.SuppressFlow()|]; try { Task.Run(Work); } finally { if (cancelled) control.Undo(); } }")]
    [InlineData("void M() { [|ExecutionContext.SuppressFlow()|]; try { Task.Run(Work); } finally { if (Task.CurrentId is null) ExecutionContext.RestoreFlow(); } }")]
    public async Task Flags_suppression_not_undone_in_a_finally(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // ------------------------------------------------------------------ silent look-alikes

    [Theory]
    [InlineData("void M() { using (ExecutionContext.SuppressFlow()) { Task.Run(Work); } }")]
    [InlineData("void M() { using var _ = ExecutionContext.SuppressFlow(); Task.Run(Work); }")]
    [InlineData("void M() { using (var control = ExecutionContext.SuppressFlow()) { Task.Run(Work); } }")]
    [InlineData("void M() { var control = ExecutionContext.SuppressFlow(); try { Task.Run(Work); } finally { control.Undo(); } }")]
    [InlineData("void M() { ExecutionContext.SuppressFlow(); try { Task.Run(Work); } finally { ExecutionContext.RestoreFlow(); } }")]
    [InlineData("AsyncFlowControl M() => ExecutionContext.SuppressFlow();")]
    [InlineData("void M() => ExecutionContext.SuppressFlow().Undo();")]
    // The non-capturing timer pattern (grpc-dotnet, Npgsql).
    [InlineData("""
        void M()
        {
            bool restoreFlow = false;
            try
            {
                if (!ExecutionContext.IsFlowSuppressed())
                {
                    ExecutionContext.SuppressFlow();
                    restoreFlow = true;
                }

                timer = new Timer(_ => Work(), null, 1000, 1000);
            }
            finally
            {
                if (restoreFlow)
                {
                    ExecutionContext.RestoreFlow();
                }
            }
        }
        """)]
    // The non-capturing pattern: suppress only when flow is not already suppressed, restore in the finally that follows.
    [InlineData("void M() { var restore = !ExecutionContext.IsFlowSuppressed(); if (restore) { ExecutionContext.SuppressFlow(); } try { Task.Run(Work); } finally { if (restore) { ExecutionContext.RestoreFlow(); } } }")]
    [InlineData("void M() { var restore = false; if (!ExecutionContext.IsFlowSuppressed()) { ExecutionContext.SuppressFlow(); restore = true; } try { Task.Run(Work); } finally { if (restore) ExecutionContext.RestoreFlow(); } }")]
    [InlineData("void M() { bool restore = !ExecutionContext.IsFlowSuppressed(); if (restore) ExecutionContext.SuppressFlow(); try { Task.Run(Work); } finally { if (restore) ExecutionContext.RestoreFlow(); } }")]
    [InlineData("void M() { if (!ExecutionContext.IsFlowSuppressed()) { using (ExecutionContext.SuppressFlow()) { Task.Run(Work); } } else { Task.Run(Work); } }")]
    [InlineData("void M() { using AsyncFlowControl? control = ExecutionContext.IsFlowSuppressed() ? null : ExecutionContext.SuppressFlow(); Task.Run(Work); }")]
    // Undone on every path through the finally, after other work in it or on both branches.
    [InlineData("void M(bool b) { var control = ExecutionContext.SuppressFlow(); try { Task.Run(Work); } finally { if (b) Work(); control.Undo(); } }")]
    [InlineData("void M(bool b) { ExecutionContext.SuppressFlow(); try { Task.Run(Work); } finally { if (b) { ExecutionContext.RestoreFlow(); } else { ExecutionContext.RestoreFlow(); } } }")]
    [InlineData("void M() { ExecutionContext.SuppressFlow(); try { Task.Run(Work); } finally { if (ExecutionContext.IsFlowSuppressed()) ExecutionContext.RestoreFlow(); } }")]
    public async Task Silent(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // ------------------------------------------------------------------ fix

    [Fact]
    public async Task Fix_wraps_up_to_the_restore_in_a_using()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    void M()
                    {
                        Work();
                        [|ExecutionContext.SuppressFlow()|];
                        Task.Run(Work);
                        // back to normal
                        ExecutionContext.RestoreFlow();
                        Work();
                    }
                """),
            Code("""
                    void M()
                    {
                        Work();
                        using (ExecutionContext.SuppressFlow())
                        {
                            Task.Run(Work);
                        }
                        // back to normal
                        Work();
                    }
                """),
            CTX202FlowSuppressionNotUndoneCodeFix.UseUsingKey);
    }

    [Fact]
    public async Task Fix_wraps_up_to_the_undo_of_a_local()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    void M()
                    {
                        var control = [|ExecutionContext.SuppressFlow()|];
                        Task.Run(Work);
                        control.Undo();
                    }
                """),
            Code("""
                    void M()
                    {
                        using (ExecutionContext.SuppressFlow())
                        {
                            Task.Run(Work);
                        }
                    }
                """),
            CTX202FlowSuppressionNotUndoneCodeFix.UseUsingKey);
    }

    [Fact]
    public async Task Fix_wraps_the_rest_of_the_block_when_nothing_undoes_it()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    void M()
                    {
                        [|ExecutionContext.SuppressFlow()|];
                        Task.Run(Work);
                        Work();
                    }
                """),
            Code("""
                    void M()
                    {
                        using (ExecutionContext.SuppressFlow())
                        {
                            Task.Run(Work);
                            Work();
                        }
                    }
                """),
            CTX202FlowSuppressionNotUndoneCodeFix.UseUsingKey);
    }

    // Two suppressions in one method: Fix All rewrites the same block twice.
    [Theory]
    [InlineData(
        """
            void M()
            {
                var first = [|ExecutionContext.SuppressFlow()|];
                Task.Run(Work);
                first.Undo();
                var second = [|ExecutionContext.SuppressFlow()|];
                Task.Run(Work);
                second.Undo();
            }
        """,
        """
            void M()
            {
                using (ExecutionContext.SuppressFlow())
                {
                    Task.Run(Work);
                }
                using (ExecutionContext.SuppressFlow())
                {
                    Task.Run(Work);
                }
            }
        """)]
    [InlineData(
        """
            void M()
            {
                var first = [|ExecutionContext.SuppressFlow()|];
                Task.Run(Work);
                first.Undo();
                Work();
                [|ExecutionContext.SuppressFlow()|];
                Task.Run(Work);
            }
        """,
        """
            void M()
            {
                using (ExecutionContext.SuppressFlow())
                {
                    Task.Run(Work);
                }
                Work();
                using (ExecutionContext.SuppressFlow())
                {
                    Task.Run(Work);
                }
            }
        """)]
    [InlineData(
        """
            void M(bool b)
            {
                var first = [|ExecutionContext.SuppressFlow()|];
                Task.Run(Work);
                first.Undo();
                if (b)
                {
                    var second = [|ExecutionContext.SuppressFlow()|];
                    Task.Run(Work);
                    second.Undo();
                }
            }
        """,
        """
            void M(bool b)
            {
                using (ExecutionContext.SuppressFlow())
                {
                    Task.Run(Work);
                }
                if (b)
                {
                    using (ExecutionContext.SuppressFlow())
                    {
                        Task.Run(Work);
                    }
                }
            }
        """)]
    // Nested: the outer fix moves the block that the inner fix rewrites (overlapping edits).
    [InlineData(
        """
            void M()
            {
                [|ExecutionContext.SuppressFlow()|];
                Task.Run(Work);
                if (!ExecutionContext.IsFlowSuppressed())
                {
                    var inner = [|ExecutionContext.SuppressFlow()|];
                    Task.Run(Work);
                    inner.Undo();
                }
            }
        """,
        """
            void M()
            {
                using (ExecutionContext.SuppressFlow())
                {
                    Task.Run(Work);
                    if (!ExecutionContext.IsFlowSuppressed())
                    {
                        using (ExecutionContext.SuppressFlow())
                        {
                            Task.Run(Work);
                        }
                    }
                }
            }
        """)]
    public async Task Fix_All_fixes_two_suppressions_of_one_method(string before, string after)
    {
        await Verify.VerifyCodeFixAsync(Code(before), Code(after), CTX202FlowSuppressionNotUndoneCodeFix.UseUsingKey);

        // And in ONE Fix All, as the IDE applies it (the verifier would also accept a fix-all that needs two passes).
        var once = await CTX20xFixAllOnePass.ApplyAsync(Verify.Create(), Code(before).Replace("[|", "", StringComparison.Ordinal).Replace("|]", "", StringComparison.Ordinal), CTX202FlowSuppressionNotUndoneCodeFix.UseUsingKey);
        Assert.Equal(Code(after).ReplaceLineEndings("\n"), once.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("void M(bool b) { [|ExecutionContext.SuppressFlow()|]; Task.Run(Work); if (b) { ExecutionContext.RestoreFlow(); } }")]
    [InlineData("void M() { [|ExecutionContext.SuppressFlow()|]; var t = Task.Run(Work); ExecutionContext.RestoreFlow(); t.Wait(); }")]
    [InlineData("void M() { var control = [|ExecutionContext.SuppressFlow()|]; Task.Run(Work); Use(control); control.Undo(); } static void Use(AsyncFlowControl c) { }")]
    [InlineData("void M(bool cancelled) { var control = [|ExecutionContext.SuppressFlow()|]; try { Task.Run(Work); } finally { if (cancelled) control.Undo(); } }")]
    public async Task No_fix_when_it_would_undo_twice_or_break_scopes(string member)
    {
        await Verify.VerifyNoCodeFixOfferedAsync(Code(member), CTX202FlowSuppressionNotUndoneCodeFix.UseUsingKey);
    }

    // ------------------------------------------------------------------ robustness

    [Fact]
    public async Task Works_without_any_telemetry_reference()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = Code("void M() { [|ExecutionContext.SuppressFlow()|]; Task.Run(Work); }");
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M() { System.Threading.ExecutionContext.SuppressFlow( } }")]
    [InlineData("class C { void M() { var c = System.Threading.ExecutionContext.SuppressFlow(); try { } finally { c. } } }")]
    [InlineData("class C { void M() { using (System.Threading.ExecutionContext.SuppressFlow() { } } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
