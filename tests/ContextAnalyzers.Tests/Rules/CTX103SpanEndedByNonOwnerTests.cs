using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX103SpanEndedByNonOwnerAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX103SpanEndedByNonOwnerTests
{
    private const string Usings = """
        using System;
        using System.Diagnostics;
        using OpenTelemetry.Trace;

        """;

    [Fact]
    public Task Ending_whatever_is_current() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M()
            {
                [|Activity.Current?.Stop()|];
                [|Activity.Current?.Dispose()|];
                [|Activity.Current!.Stop()|];
                [|Tracer.CurrentSpan.End()|];
                [|Tracer.CurrentSpan.Dispose()|];
                [|((IDisposable)Activity.Current!).Dispose()|];
            }
        }
        """);

    [Fact]
    public Task Through_a_local_that_only_holds_the_current_value() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M()
            {
                var current = Activity.Current;
                current?.SetTag("k", 1);
                [|current?.Stop()|];
                var span = Tracer.CurrentSpan;
                [|span.End()|];
            }
        }
        """);

    [Fact]
    public Task Silent_on_owned_activities_and_other_members() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            static readonly ActivitySource Source = new("c");

            void M(bool start)
            {
                var mine = Source.StartActivity("mine");
                mine?.Stop();

                Activity.Current?.SetTag("k", 1);
                Tracer.CurrentSpan.SetAttribute("k", 1);
                var id = Activity.Current?.Id;

                var reassigned = Activity.Current;
                if (start)
                {
                    reassigned = Source.StartActivity("other");
                }

                reassigned?.Stop();
            }
        }
        """);

    [Fact]
    public Task Bails_out_without_DiagnosticSource()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            class Activity { public static Activity? Current { get; set; } public void Stop() { } }
            class C { void M() { Activity.Current?.Stop(); } }
            """;
        return test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M() { System.Diagnostics.Activity.Current?.Stop(")]
    [InlineData("class C { void M() { var c = System.Diagnostics.Activity.Current; c = ; c.Stop(); } }")]
    [InlineData("class C { void M() { Missing.Current.Stop(); OpenTelemetry.Trace.Tracer.CurrentSpan.End( } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
