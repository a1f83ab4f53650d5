using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX101AmbientContextNotRestoredAnalyzer,
    ContextAnalyzers.Rules.CTX101AmbientContextNotRestoredCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// CTX101 across a call: a helper that makes a message's activity current without restoring it (silent in the helper:
/// writing a held activity is how a running one is made current again), called per message from a loop.
/// </summary>
public class CTX101HelperCalledPerMessageTests
{
    private static string Code(string consumer, string helper = "internal static void Attach(Msg m) { {|#1:Activity.Current = m.Activity|}; }") => $$"""
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using System.Threading.Tasks;

        class Msg { public Activity? Activity; }

        class Consumer
        {
            static void Handle(Msg m) { }
            static Msg Receive() => new();
            Msg? current;
        {{consumer}}
        }

        static class Helpers
        {
            {{helper}}
        }
        """;

    private static DiagnosticResult Expected(string method) =>
        Verify.Diagnostic("CTX101").WithLocation(0).WithLocation(1).WithMessage("'Activity.Current' is changed here but the previous value is not restored on every path out of '" + method + "'");

    // ------------------------------------------------------------------ flagged

    [Theory]
    [InlineData("void ProcessBatch(List<Msg> batch) { foreach (var m in batch) { {|#0:Helpers.Attach|}(m); Handle(m); } }")]
    [InlineData("void ProcessBatch(Queue<Msg> queue) { while (queue.TryDequeue(out var m)) { {|#0:Helpers.Attach|}(m); Handle(m); } }")]
    [InlineData("void ProcessBatch(int n) { for (var i = 0; i < n; i++) { var m = Receive(); {|#0:Helpers.Attach|}(m); Handle(m); } }")]
    // Nested loops: reported once, at the innermost loop's call.
    [InlineData("void ProcessBatch(List<List<Msg>> pages) { foreach (var page in pages) { foreach (var m in page) { {|#0:Helpers.Attach|}(m); Handle(m); } } }")]
    public async Task Helper_called_per_message_from_a_loop(string consumer)
    {
        await Verify.VerifyAnalyzerAsync(Code(consumer), Expected("ProcessBatch"));
    }

    [Theory]
    [InlineData("internal static void Attach(Msg m) { if (m.Activity is not null) { {|#1:Activity.Current = m.Activity|}; } }")]
    [InlineData("internal static void Attach(Msg m) => {|#1:Activity.Current = m.Activity|};")]
    [InlineData("internal static void Attach(Msg m) { Console.WriteLine(m); {|#1:Activity.Current = m.Activity!|}; }")]
    public async Task Helper_shapes(string helper)
    {
        await Verify.VerifyAnalyzerAsync(
            Code("void ProcessBatch(List<Msg> batch) { foreach (var m in batch) { {|#0:Helpers.Attach|}(m); Handle(m); } }", helper),
            Expected("ProcessBatch"));
    }

    [Fact]
    public async Task No_fix_at_the_call_and_fix_all_leaves_the_helper_alone()
    {
        // A fixable CTX101 in the same document: Fix All restores that one and must not rewrite the helper (the
        // call's additional location is context, not a change of the call).
        var test = Verify.Create();
        test.TestCode = Code("""
                void ProcessBatch(List<Msg> batch) { foreach (var m in batch) { {|#0:Helpers.Attach|}(m); Handle(m); } }
            }

            class Other
            {
                void Set(Activity a)
                {
                    [|Activity.Current = a|];
                    Console.WriteLine();
                }
            """, "internal static void Attach(Msg m) { {|#1:Activity.Current = m.Activity|}; Console.WriteLine(); }");
        test.ExpectedDiagnostics.Add(Expected("ProcessBatch"));
        test.FixedCode = Code("""
                void ProcessBatch(List<Msg> batch) { foreach (var m in batch) { {|#0:Helpers.Attach|}(m); Handle(m); } }
            }

            class Other
            {
                void Set(Activity a)
                {
                    var previousActivity = Activity.Current;
                    Activity.Current = a;
                    try
                    {
                        Console.WriteLine();
                    }
                    finally
                    {
                        Activity.Current = previousActivity;
                    }
                }
            """, "internal static void Attach(Msg m) { {|#1:Activity.Current = m.Activity|}; Console.WriteLine(); }");
        test.FixedState.ExpectedDiagnostics.Add(Expected("ProcessBatch"));
        test.CodeActionEquivalenceKey = CTX101AmbientContextNotRestoredCodeFix.RestoreInFinallyKey;
        await test.RunAsync();
    }

    // ------------------------------------------------------------------ silent look-alikes

    [Theory]
    // The loop's method restores Activity.Current itself.
    [InlineData("void ProcessBatch(List<Msg> batch) { var saved = Activity.Current; try { foreach (var m in batch) { Helpers.Attach(m); Handle(m); } } finally { Activity.Current = saved; } }")]
    // Async: the change stays in the method's own flow.
    [InlineData("async Task ProcessBatch(List<Msg> batch) { foreach (var m in batch) { Helpers.Attach(m); Handle(m); await Task.Yield(); } }")]
    // In a lambda (thread-pool work runs on a copy of the context).
    [InlineData("void ProcessBatch(List<Msg> batch) => Task.Run(() => { foreach (var m in batch) { Helpers.Attach(m); Handle(m); } });")]
    // Not this iteration's message.
    [InlineData("void ProcessBatch(List<Msg> batch) { foreach (var m in batch) { Helpers.Attach(current!); Handle(m); } }")]
    // Called once, not per message.
    [InlineData("void ProcessOne(Msg m) { Helpers.Attach(m); Handle(m); }")]
    public async Task Silent_for_the_caller(string consumer)
    {
        await Verify.VerifyAnalyzerAsync(Code(consumer, "internal static void Attach(Msg m) { Activity.Current = m.Activity; }"));
    }

    [Theory]
    // The helper restores in a finally, or saves the previous activity (for a restore elsewhere).
    [InlineData("internal static void Attach(Msg m) { var previous = Activity.Current; try { Activity.Current = m.Activity; } finally { Activity.Current = previous; } }")]
    [InlineData("static Activity? saved; internal static void Attach(Msg m) { saved = Activity.Current; Activity.Current = m.Activity; }")]
    // The helper's type has the end half (an end hook that clears or restores).
    [InlineData("internal static void Attach(Msg m) { Activity.Current = m.Activity; } internal static void Detach() { Activity.Current = null; }")]
    // Named as a restore.
    [InlineData("internal static void RestoreFrom(Msg m) { Activity.Current = m.Activity; }")]
    public async Task Silent_for_helpers_that_own_the_restore(string helper)
    {
        var name = helper.Contains("RestoreFrom", System.StringComparison.Ordinal) ? "RestoreFrom" : "Attach";
        await Verify.VerifyAnalyzerAsync(Code("void ProcessBatch(List<Msg> batch) { foreach (var m in batch) { Helpers." + name + "(m); Handle(m); } }", helper));
    }

    [Theory]
    // A new value (the caller's parameter, a conditional read) is reported in the helper: one problem, one diagnostic.
    [InlineData("Helpers.Attach(m.Activity)", "internal static void Attach(Activity? a) { [|Activity.Current = a|]; Console.WriteLine(); }")]
    [InlineData("Helpers.Attach(m)", "internal static void Attach(Msg? m) => [|Activity.Current = m?.Activity|];")]
    public async Task A_helper_CTX101_reports_itself_is_not_reported_again_at_the_call(string call, string helper)
    {
        await Verify.VerifyAnalyzerAsync(Code("void ProcessBatch(List<Msg> batch) { foreach (var m in batch) { " + call + "; Handle(m); } }", helper));
    }

    [Fact]
    public async Task Half_typed_loop_does_not_crash()
    {
        await CrashVerifier.AssertNoCrashAsync(Code(
            "void ProcessBatch(List<Msg> batch) { foreach (var m in ) { Helpers.Attach(m; Missing(m); } while ( { Helpers.Attach(); } }",
            "internal static void Attach(Msg m) { Activity.Current = m.; }"));
    }
}
