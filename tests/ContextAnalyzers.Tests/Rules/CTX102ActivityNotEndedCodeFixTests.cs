using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.Rules.CTX102ActivityNotEndedAnalyzer, ContextAnalyzers.Rules.CTX102ActivityNotEndedCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX102ActivityNotEndedCodeFixTests
{
    private const string Usings = """
        using System;
        using System.Diagnostics;
        using System.Threading.Tasks;
        using OpenTelemetry.Trace;

        """;

    private const string Head = "class C\n{\n    static readonly ActivitySource Source = new(\"c\");\n    static void Work() { }\n";

    [Fact]
    public Task UseUsing_on_a_declaration() => Verify.VerifyCodeFixAsync(Usings + Head + """
            void M()
            {
                // the request span
                var activity = [|Source.StartActivity("x")|]; // note
                Work();
            }
        }
        """, Usings + Head + """
            void M()
            {
                // the request span
                using var activity = Source.StartActivity("x"); // note
                Work();
            }
        }
        """, CTX102ActivityNotEndedCodeFix.UseUsingKey);

    [Fact]
    public Task UseUsing_keeps_an_explicit_Stop_which_still_ends_it_first() => Verify.VerifyCodeFixAsync(Usings + Head + """
            async Task M()
            {
                Activity? activity = [|Source.StartActivity("x")|];
                await Task.Delay(1);
                activity?.Stop();
            }
        }
        """, Usings + Head + """
            async Task M()
            {
                using Activity? activity = Source.StartActivity("x");
                await Task.Delay(1);
                activity?.Stop();
            }
        }
        """, CTX102ActivityNotEndedCodeFix.UseUsingKey);

    [Fact]
    public Task UseUsing_for_discarded_results_and_spans() => Verify.VerifyCodeFixAsync(Usings + Head + """
            void M(Tracer tracer)
            {
                [|Source.StartActivity("x")|];
                _ = [|Source.StartActivity("y")|];
                [|Source.StartActivity("z")|]?.SetTag("k", 1);
                [|tracer.StartActiveSpan("s")|];
                Work();
            }
        }
        """, Usings + Head + """
            void M(Tracer tracer)
            {
                using var activity = Source.StartActivity("x");
                using var activity1 = Source.StartActivity("y");
                using var activity2 = Source.StartActivity("z")?.SetTag("k", 1);
                using var span = tracer.StartActiveSpan("s");
                Work();
            }
        }
        """, CTX102ActivityNotEndedCodeFix.UseUsingKey);

    [Fact]
    public Task UseUsing_on_the_declaration_of_a_later_started_activity() => Verify.VerifyCodeFixAsync(Usings + Head + """
            void M()
            {
                var activity = new Activity("x");
                [|activity.Start()|];
                Work();
            }
        }
        """, Usings + Head + """
            void M()
            {
                using var activity = new Activity("x");
                activity.Start();
                Work();
            }
        }
        """, CTX102ActivityNotEndedCodeFix.UseUsingKey);

    [Fact]
    public Task EndInFinally_moves_the_end_statement() => Verify.VerifyCodeFixAsync(Usings + Head + """
            int M(bool early)
            {
                var activity = [|Source.StartActivity("x")|];
                Work();
                if (early)
                {
                    return 1;
                }

                activity?.Stop(); // end of the span
                return 2;
            }
        }
        """, Usings + Head + """
            int M(bool early)
            {
                var activity = Source.StartActivity("x");
                try
                {
                    Work();
                    if (early)
                    {
                        return 1;
                    }
                }
                finally
                {
                    activity?.Stop(); // end of the span
                }

                return 2;
            }
        }
        """, CTX102ActivityNotEndedCodeFix.EndInFinallyKey);

    [Fact]
    public Task UseUsingBlock_ends_it_where_it_ended() => Verify.VerifyCodeFixAsync(Usings + Head + """
            void M()
            {
                // checkout
                var activity = [|Source.StartActivity("checkout")|];
                Work();
                activity?.Stop();
                Work();
            }
        }
        """, Usings + Head + """
            void M()
            {
                // checkout
                using (var activity = Source.StartActivity("checkout"))
                {
                    Work();
                }
                Work();
            }
        }
        """, CTX102ActivityNotEndedCodeFix.UseUsingBlockKey);

    [Fact]
    public Task UseUsingBlock_keeps_the_comments() => Verify.VerifyCodeFixAsync(Usings + Head + """
            void M()
            {
                // checkout
                var activity = [|Source.StartActivity("checkout")|]; // the checkout span
                Work();
                // the span ends here
                activity?.Stop(); // end of the span
                Work();
            }
        }
        """, Usings + Head + """
            void M()
            {
                // checkout
                using (var activity = Source.StartActivity("checkout")) // the checkout span
                {
                    Work();
                    // the span ends here
                } // end of the span
                Work();
            }
        }
        """, CTX102ActivityNotEndedCodeFix.UseUsingBlockKey);

    [Fact]
    public Task UseUsingBlock_not_offered_when_the_local_is_used_after_the_end() => Verify.VerifyNoCodeFixOfferedAsync(Usings + Head + """
            string? M()
            {
                var activity = [|Source.StartActivity("x")|];
                Work();
                activity?.Stop();
                return activity?.Id;
            }
        }
        """, CTX102ActivityNotEndedCodeFix.UseUsingBlockKey);

    [Fact]
    public Task EndInFinally_not_offered_when_a_moved_local_is_used_after_the_end() => Verify.VerifyNoCodeFixOfferedAsync(Usings + Head + """
            int M()
            {
                var activity = [|Source.StartActivity("x")|];
                var result = 1;
                Work();
                activity?.Stop();
                return result;
            }
        }
        """, CTX102ActivityNotEndedCodeFix.EndInFinallyKey);

    [Fact]
    public Task No_using_fix_for_an_overwritten_local() => Verify.VerifyNoCodeFixOfferedAsync(Usings + Head + """
            void M(int n)
            {
                Activity? activity = null;
                for (var i = 0; i < n; i++)
                {
                    activity = [|Source.StartActivity("x")|];
                }

                activity?.Stop();
            }
        }
        """, CTX102ActivityNotEndedCodeFix.UseUsingKey);
}
