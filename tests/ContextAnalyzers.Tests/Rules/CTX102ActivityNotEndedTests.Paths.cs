using ContextAnalyzers.Rules;
namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX102 path shapes beyond the basics: catch handlers, switch, loops, nested try, other resources.</summary>
public partial class CTX102ActivityNotEndedTests
{
    [Fact]
    public Task Ended_in_catch_and_on_the_normal_path() => Silent("""
            void M()
            {
                var a = Source.StartActivity("x");
                try
                {
                    Work();
                }
                catch (Exception)
                {
                    a?.SetStatus(ActivityStatusCode.Error);
                    a?.Stop();
                    throw;
                }

                a?.Stop();
            }
        """);

    [Fact]
    public Task Every_switch_branch_ends_it_in_finally() => Silent("""
            int M(int kind)
            {
                var a = Source.StartActivity("x");
                try
                {
                    switch (kind)
                    {
                        case 0:
                            return 0;
                        case 1:
                            Work();
                            break;
                        default:
                            throw new InvalidOperationException();
                    }

                    return 1;
                }
                finally
                {
                    a?.Dispose();
                }
            }
        """);

    [Fact]
    public Task One_switch_branch_forgets_it() => Flagged("""
            int M(int kind)
            {
                var a = [|Source.StartActivity("x")|];
                switch (kind)
                {
                    case 0:
                        return 0;
                    default:
                        a?.Stop();
                        return 1;
                }
            }
        """);

    [Fact]
    public Task Loop_body_with_using_is_silent_and_without_is_flagged() => Flagged("""
            void M(int[] items)
            {
                foreach (var item in items)
                {
                    using var ok = Source.StartActivity("ok");
                    Work();
                }

                foreach (var item in items)
                {
                    var leaked = [|Source.StartActivity("leaked")|];
                    leaked?.SetTag("item", item);
                }
            }
        """);

    [Fact]
    public Task Nested_try_inside_the_covering_finally() => Silent("""
            async Task M()
            {
                var a = Source.StartActivity("x");
                try
                {
                    using var other = Source.StartActivity("inner");
                    try
                    {
                        await Task.Delay(1);
                    }
                    catch (TimeoutException)
                    {
                        Work();
                    }
                }
                finally
                {
                    a?.Stop();
                }
            }
        """);

    [Fact]
    public Task Stopped_after_a_null_check_with_an_else_branch() => Silent("""
            void M()
            {
                var a = Source.StartActivity("x");
                if (a != null)
                {
                    a.SetTag("k", 1);
                    a.Stop();
                }
                else
                {
                    Work();
                }
            }
        """);

    [Fact]
    public Task Local_function_and_lambda_bodies_are_their_own_flow() => Flagged("""
            void M()
            {
                Local();
                Func<Activity?> make = () => Source.StartActivity("returned");
                _ = make;

                void Local()
                {
                    var a = [|Source.StartActivity("x")|];
                    Work();
                    a?.Stop();
                }
            }
        """);

    [Fact]
    public Task Started_later_under_a_using() => Silent("""
            void M()
            {
                using var a = new Activity("a");
                a.Start();
                Work();

                using (var b = Source.CreateActivity("b", ActivityKind.Internal))
                {
                    b?.Start();
                    Work();
                }
            }
        """);
}
