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
    public Task Through_a_pattern_that_matches_the_current_value() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Exception e)
            {
                if (Activity.Current is { } activity)
                {
                    activity.SetStatus(ActivityStatusCode.Error, e.Message);
                    [|activity.Stop()|];
                }

                if (Activity.Current is Activity typed)
                {
                    [|typed.Dispose()|];
                }

                if (Tracer.CurrentSpan is { } span)
                {
                    [|span.End()|];
                }
            }

            void Later()
            {
                var current = Activity.Current;
                Console.WriteLine(current?.Id);
                [|current?.Stop()|];
            }
        }
        """);

    [Fact]
    public Task Silent_when_the_code_checks_it_is_the_activity_it_started() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            static readonly ActivitySource Source = new("c");
            const string OutName = "c.out";
            Activity? saved;

            void ByName(bool client)
            {
                var activity = Activity.Current;
                if (activity == null)
                {
                    return;
                }

                var mine = client && activity.OperationName == OutName;
                if (mine)
                {
                    activity.Stop();
                }
            }

            void BySource()
            {
                if (Activity.Current is { } activity && activity.Source == Source)
                {
                    activity.Stop();
                }

                if (Activity.Current?.Source == Source)
                {
                    Activity.Current.Stop();
                }
            }

            void ByPattern()
            {
                if (Activity.Current is { OperationName: OutName } activity)
                {
                    activity.Stop();
                }
            }

            void ByReference()
            {
                if (Activity.Current == saved)
                {
                    Activity.Current?.Stop();
                }

                var current = Activity.Current;
                if (ReferenceEquals(current, saved))
                {
                    current?.Dispose();
                }
            }
        }
        """);

    [Fact]
    public Task A_null_test_is_not_an_ownership_check() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M()
            {
                var activity = Activity.Current;
                if (activity != null)
                {
                    [|activity.Stop()|];
                }
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
