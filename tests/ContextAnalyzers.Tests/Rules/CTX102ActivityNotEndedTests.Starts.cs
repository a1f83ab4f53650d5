namespace ContextAnalyzers.Tests.Rules;

// Starts written as values: a conditional, a coalesce, a switch expression, a fluent chain before Start().
public partial class CTX102ActivityNotEndedTests
{
    [Fact]
    public Task Conditional_starts_never_ended() => Flagged("""
            void M(bool on, int mode)
            {
                var a = on ? [|Source.StartActivity("a")|] : null;
                a?.SetTag("k", 1);
                var b = on ? null : [|Source.StartActivity("b")|];
                b?.SetTag("k", 1);
                var c = mode switch { 0 => null, _ => [|Source.StartActivity("c")|] };
                c?.SetTag("k", 1);
                var d = [|Source.StartActivity("d")|] ?? Source.StartActivity("d2");
                d?.SetTag("k", 1);
            }
        """);

    [Fact]
    public Task Fluent_start_never_ended() => Flagged("""
            void M(string parentId)
            {
                var a = [|new Activity("a").SetParentId(parentId).Start()|];
                a.SetTag("k", 1);
                [|new Activity("b").SetParentId(parentId).Start()|];
            }
        """);

    [Fact]
    public Task Conditional_start_ended_on_some_paths_only() => Flagged("""
            void M(bool on, bool done)
            {
                var a = on ? [|Source.StartActivity("a")|] : null;
                if (done)
                {
                    return;
                }

                a?.Stop();
            }
        """);

    [Fact]
    public Task Conditional_starts_ended_or_handed_over_are_silent() => Flagged("""
            void M(bool on, int mode, string parentId)
            {
                using var a = on ? Source.StartActivity("a") : null;
                var b = on ? Source.StartActivity("b") : null;
                try { Work(); } finally { b?.Dispose(); }
                var c = mode switch { 0 => null, _ => Source.StartActivity("c") };
                c?.Stop();
                using var d = new Activity("d").SetParentId(parentId).Start();
                var e = on ? Source.StartActivity("e") : Activity.Current;
                e?.SetTag("k", 1);
            }

            Activity? Returned(bool on) => on ? Source.StartActivity("r") : null;

            Activity? Stored;

            void Store(bool on) => Stored = on ? Source.StartActivity("s") : null;
        """);
}
