namespace ContextAnalyzers.Tests.Rules;

// Passing the activity to a method that only tags, reads or enriches it does not hand it over.
public partial class CTX102ActivityNotEndedTests
{
    [Fact]
    public Task Passed_to_methods_that_only_look_at_it() => Flagged("""
            void M(Action<Activity, string>? enrich, Exception error)
            {
                var a = [|Source.StartActivity("a")|];
                AddMessagingTags(a, "orders");

                var b = [|Source.StartActivity("b")|];
                enrich?.Invoke(b!, "payload");

                var c = [|Source.StartActivity("c")|];
                c?.RecordException(error);

                var d = [|Source.StartActivity("d")|];
                Enrich(d, enrich);
            }

            static void AddMessagingTags(Activity? activity, string destination)
            {
                if (activity == null)
                {
                    return;
                }

                activity.SetTag("messaging.destination", destination);
                Console.WriteLine(activity.Context.TraceId);
            }

            static void Enrich(Activity? activity, Action<Activity, string>? enrich) => enrich?.Invoke(activity!, "x");
        """);

    [Fact]
    public Task Passed_to_methods_that_end_or_keep_it_is_silent() => Silent("""
            void M(Func<Activity?, bool> accept, Action<Activity?> owner)
            {
                var g = Source.StartActivity("g");
                owner(g);

                var a = Source.StartActivity("a");
                Finish(a);

                var b = Source.StartActivity("b");
                Remember(b);

                var c = Source.StartActivity("c");
                Later(c);

                var d = Source.StartActivity("d");
                Forward(d);

                var e = Source.StartActivity("e");
                accept(e);

                var f = Source.StartActivity("f");
                try { AddMessagingTags(f); } finally { f?.Stop(); }
            }

            Activity? current;
            static void Finish(Activity? activity) { activity?.SetTag("k", 1); activity?.Stop(); }
            void Remember(Activity? activity) => current = activity;
            static void Later(Activity? activity) => Task.Run(() => activity?.Dispose());
            static void Forward(Activity? activity) => Finish(activity);
            static void AddMessagingTags(Activity? activity) => activity?.SetTag("k", 1);
        """);
}
