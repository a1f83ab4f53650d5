using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX101AmbientContextNotRestoredAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// CTX101 on instrumentation code: the restore is often owned by another member (an end hook, a span factory's End, a
/// scope) or recognised by the value written back. Each silent shape stands next to the flagged shape it resembles.
/// </summary>
public class CTX101OwnershipTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenTelemetry;
        using OpenTelemetry.Context;
        using OpenTelemetry.Context.Propagation;
        using OpenTelemetry.Trace;

        """;

    // ------------------------------------------------------------------ the restore is in another member

    [Fact]
    public Task Begin_hook_that_saves_the_previous_value_in_an_items_bag_for_the_end_hook() => Verify.VerifyAnalyzerAsync(Usings + """
        class RequestContext { public Dictionary<string, object?> Items { get; } = new(); }

        class BaggageModule
        {
            void OnRequestBegin(RequestContext request, Baggage incoming)
            {
                request.Items["previous-baggage"] = Baggage.Current;
                Baggage.Current = incoming;
                Log(request);
            }

            void OnRequestFinish(RequestContext request)
            {
                if (request.Items.TryGetValue("previous-baggage", out var saved) && saved is Baggage previous)
                {
                    Baggage.Current = previous;
                }
            }

            void Log(RequestContext request) { }
        }
        """);

    [Fact]
    public Task Hook_pair_by_name_owns_the_restore() => Verify.VerifyAnalyzerAsync(Usings + """
        class JobFilter
        {
            private static readonly TextMapPropagator Propagator = new TraceContextPropagator();

            public void OnJobPerforming(IDictionary<string, string> parameters)
            {
                var context = Propagator.Extract(default, parameters, (p, k) => p.TryGetValue(k, out var v) ? new[] { v } : Array.Empty<string>());
                Baggage.Current = context.Baggage;
                Trace();
            }

            public void OnJobPerformed(IDictionary<string, string> parameters) => Trace();

            public void BeginBatch(Baggage batch)
            {
                Baggage.Current = batch;
                Trace();
            }

            public void EndBatch() => Trace();

            void Trace() { }
        }
        """);

    [Fact]
    public Task Begin_hook_without_its_end_hook_is_flagged() => Verify.VerifyAnalyzerAsync(Usings + """
        class JobFilter
        {
            public void BeginBatch(Baggage batch)
            {
                [|Baggage.Current = batch|];
                Trace();
            }

            public void Flush() => Trace();

            void Trace() { }
        }
        """);

    [Fact]
    public Task Restore_from_a_field_in_another_member_and_the_set_it_undoes() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class CallScope
        {
            private readonly Activity? parentActivity;

            public CallScope(ActivitySource source)
            {
                parentActivity = Activity.Current;
            }

            public void Enrich(Activity child)
            {
                Activity.Current = child;
                child.SetTag("enriched", true);
            }

            public void PutParentBack() => Activity.Current = parentActivity;
        }
        """);

    [Fact]
    public Task Clearing_at_the_end_of_a_request_pairs_with_the_set_at_its_start() => Verify.VerifyAnalyzerAsync(Usings + """
        static class RequestTelemetry
        {
            public static void OnRequest(PropagationContext incoming)
            {
                Baggage.Current = incoming.Baggage;
                Console.WriteLine("request started");
            }

            public static void AfterResponse()
            {
                Console.WriteLine("request done");
                Baggage.Current = default;
            }
        }
        """);

    [Fact]
    public Task A_clear_before_a_set_is_not_the_end_of_anything() => Verify.VerifyAnalyzerAsync(Usings + """
        class Handler
        {
            void Handle(PropagationContext incoming)
            {
                {|#0:Baggage.Current = default|};
                {|#1:Baggage.Current = incoming.Baggage|};
                Process();
            }

            void Process() { }
        }
        """,
        Verify.Diagnostic("CTX101").WithLocation(0).WithLocation(1));

    [Fact]
    public Task DiagnosticListener_observer_events_come_in_pairs() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class MessagingObserver : IObserver<KeyValuePair<string, object?>>
        {
            public void OnNext(KeyValuePair<string, object?> evt)
            {
                if (evt.Key == "Message.Received" && evt.Value is PropagationContext incoming)
                {
                    Baggage.Current = incoming.Baggage;
                }
            }

            public void OnCompleted() { }

            public void OnError(Exception error) { }
        }
        """);

    [Fact]
    public Task Activate_that_returns_the_scope_that_undoes_it() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class Undo : IDisposable
        {
            private readonly Activity? previous;
            public Undo(Activity? previous) => this.previous = previous;
            public void Dispose() => Activity.Current = previous;
        }

        class ScopeManager
        {
            public IDisposable Activate(Activity activity)
            {
                var undo = new Undo(Activity.Current);
                Activity.Current = activity;
                return undo;
            }
        }
        """);

    [Fact]
    public Task Constructor_of_a_disposable_scope_owns_its_change() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class ServerCallScope : IDisposable
        {
            private readonly Activity? activity;

            public ServerCallScope(ActivitySource source, PropagationContext incoming)
            {
                Baggage.Current = incoming.Baggage;
                activity = source.StartActivity("call", ActivityKind.Server, incoming.ActivityContext);
            }

            public void Dispose() => activity?.Dispose();
        }
        """);

    [Fact]
    public Task Interface_member_whose_contract_is_to_set_the_callers_value() => Verify.VerifyAnalyzerAsync(Usings + """
        interface ISpanFacade
        {
            ISpanFacade SetBaggageItem(string key, string? value);
        }

        sealed class SpanFacade : ISpanFacade
        {
            public ISpanFacade SetBaggageItem(string key, string? value)
            {
                Baggage.SetBaggage(key, value);
                return this;
            }
        }
        """);

    [Fact]
    public Task Public_setter_of_a_type_whose_interface_does_not_resolve_may_implement_it() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class SpanFacade : {|CS0246:ISpanFromAMissingPackage|}
        {
            public SpanFacade SetBaggageItem(string key, string? value)
            {
                Baggage.SetBaggage(key, value);
                return this;
            }
        }
        """);

    [Fact]
    public Task A_plain_method_that_sets_the_callers_value_and_works_is_flagged() => Verify.VerifyAnalyzerAsync(Usings + """
        class Worker
        {
            public void SetTenantAndRun(string key, string? value)
            {
                [|Baggage.SetBaggage(key, value)|];
                Run();
            }

            void Run() { }
        }
        """);

    [Fact]
    public Task Static_helpers_of_the_program_type_set_up_the_process() => Verify.VerifyAnalyzerAsync(Usings + """
        static class Program
        {
            static async Task<int> Main(string[] args) => args.Length > 0 ? RunChild() : await RunParentAsync();

            static async Task<int> RunParentAsync()
            {
                Baggage.SetBaggage("deployment", "blue");
                await Task.Yield();
                return 0;
            }

            static int RunChild()
            {
                Activity.Current = null;
                return 0;
            }
        }
        """);

    // ------------------------------------------------------------------ restores recognised by the value

    [Fact]
    public Task Writing_back_a_value_kept_in_storage_is_a_restore() => Verify.VerifyAnalyzerAsync(Usings + """
        class EnvBag { public Dictionary<string, object> Values { get; } = new(); }
        sealed class Holder { public Activity? Activity; public object? Baggage; }

        class Restorer
        {
            void FromBag(EnvBag env)
            {
                if (env.Values.TryGetValue("activity", out var stored) && stored is Activity activity)
                {
                    Activity.Current = activity;
                }
            }

            void FromHolder(Holder holder)
            {
                Activity.Current = holder.Activity;
                RuntimeContext.SetValue("otel.baggage", holder.Baggage);
            }

            void FromParent(Activity finished)
            {
                finished.Stop();
                Activity.Current = finished.Parent;
            }

            void FromCustomProperty(Activity finished)
            {
                Activity.Current = finished.GetCustomProperty("previous") as Activity;
            }
        }
        """);

    [Fact]
    public Task Changed_copy_of_the_current_baggage_is_a_change_not_a_restore() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void AddTenant(string tenant)
            {
                var baggage = Baggage.Current;
                baggage = baggage.SetBaggage("tenant.id", tenant);
                [|Baggage.Current = baggage|];
                Work();
            }

            void SwapParent(Activity other)
            {
                var saved = Activity.Current;
                saved = other;
                [|Activity.Current = saved|];
                Work();
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Conditional_restore_in_finally_is_not_a_restore_on_every_path() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Baggage baggage, bool verbose)
            {
                var previous = Baggage.Current;
                [|Baggage.Current = baggage|];
                try
                {
                    Work();
                }
                finally
                {
                    if (verbose)
                    {
                        Baggage.Current = previous;
                    }
                }
            }

            void RestoreIfChanged(Activity activity)
            {
                var previous = Activity.Current;
                Activity.Current = activity;
                try
                {
                    Work();
                }
                finally
                {
                    if (Activity.Current != previous)
                    {
                        Activity.Current = previous;
                    }
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Restoring_another_slot_does_not_restore_this_one() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M()
            {
                var previous = RuntimeContext.GetValue("tenant");
                [|RuntimeContext.SetValue("user", 7)|];
                try
                {
                    Work();
                }
                finally
                {
                    RuntimeContext.SetValue("tenant", previous);
                }
            }

            void Same()
            {
                var previous = RuntimeContext.GetValue("user");
                RuntimeContext.SetValue("user", 7);
                try
                {
                    Work();
                }
                finally
                {
                    RuntimeContext.SetValue("user", previous);
                }
            }

            void Work() { }
        }
        """);

    [Fact]
    public Task Restore_helper_called_in_finally() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void M(Activity activity)
            {
                var previous = Activity.Current;
                Activity.Current = activity;
                try
                {
                    Work();
                }
                finally
                {
                    PutBack(previous);
                }
            }

            static void PutBack(Activity? previous) => Activity.Current = previous;

            void Work() { }
        }
        """);

    // ------------------------------------------------------------------ a just-started activity written to Current

    [Fact]
    public Task Started_activity_written_to_Current_without_a_null_check_clears_the_callers_activity() => Verify.VerifyAnalyzerAsync(Usings + """
        class Tracer2
        {
            private static readonly ActivitySource Source = new("app");

            public Activity? CreateSpan(string name)
            {
                var activity = Source.StartActivity(name);
                {|#0:Activity.Current = activity|};
                return activity;
            }

            public void EndSpan(Activity? span)
            {
                if (span is null) return;
                var previous = span.GetCustomProperty("previous") as Activity;
                span.Dispose();
                Activity.Current = previous;
            }
        }
        """,
        Verify.Diagnostic("CTX101").WithLocation(0)
            .WithMessage("'Activity.Current' is set to 'activity', which is null when the activity is not sampled: that clears the caller's activity in 'CreateSpan' and nothing puts it back"));

    [Fact]
    public Task Started_activity_written_to_Current_after_a_null_check_is_a_no_op() => Verify.VerifyAnalyzerAsync(Usings + """
        class Tracer2
        {
            private static readonly ActivitySource Source = new("app");

            public Activity? Guarded(string name)
            {
                var activity = Source.StartActivity(name);
                if (activity != null)
                {
                    Activity.Current = activity;
                }

                return activity;
            }

            public Activity? EarlyReturn(string name)
            {
                var activity = Source.StartActivity(name);
                if (activity is null)
                {
                    return null;
                }

                Activity.Current = activity;
                return activity;
            }

            public Activity? ForcedRoot(string name)
            {
                Activity.Current = null;
                var activity = Source.StartActivity(name);
                Activity.Current = activity;
                return activity;
            }

            public Activity Fluent(string name)
            {
                var activity = new Activity(name).Start();
                Activity.Current = activity;
                return activity;
            }

            public void End(Activity? activity)
            {
                activity?.Stop();
                Activity.Current = null;
            }
        }
        """);

    // ------------------------------------------------------------------ work that runs on a copy of the ExecutionContext

    [Fact]
    public Task Detaching_inside_a_thread_pool_delegate_is_confined_to_it() => Verify.VerifyAnalyzerAsync(Usings + """
        class FanOut
        {
            private static readonly ActivitySource Source = new("app");

            void Start(IEnumerable<int> items)
            {
                foreach (var item in items)
                {
                    Task.Run(() =>
                    {
                        Activity.Current = null;
                        using var root = Source.StartActivity("item");
                        RuntimeContext.SetValue("item", item);
                        Process(item);
                    });
                    ThreadPool.QueueUserWorkItem(_ =>
                    {
                        Activity.Current = null;
                        Process(item);
                    });
                }
            }

            void Process(int item) { }
        }
        """);

    [Fact]
    public Task Baggage_set_in_a_thread_pool_delegate_still_leaks_through_the_shared_holder() => Verify.VerifyAnalyzerAsync(Usings + """
        class FanOut
        {
            void Start(int item)
            {
                Task.Run(() =>
                {
                    [|Baggage.SetBaggage("item", item.ToString())|];
                    Process(item);
                });
            }

            void Process(int item) { }
        }
        """);

    [Fact]
    public Task Consumer_that_sets_the_extracted_baggage_and_never_restores_it() => Verify.VerifyAnalyzerAsync(Usings + """
        class Consumer
        {
            private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;
            private static readonly ActivitySource Source = new("consumer");

            public async Task OnMessageAsync(IDictionary<string, string> headers)
            {
                var parentContext = Propagator.Extract(default, headers, (h, k) => h.TryGetValue(k, out var v) ? new[] { v } : Array.Empty<string>());
                [|Baggage.Current = parentContext.Baggage|];
                using var activity = Source.StartActivity("receive", ActivityKind.Consumer, parentContext.ActivityContext);
                await Task.Delay(1);
            }

            public void PropagateHeaders(IEnumerable<KeyValuePair<string, string?>> message)
            {
                [|Baggage.SetBaggage(message)|];
                Console.WriteLine("propagated");
            }

            public void EndSpan(Activity span, Activity? previous)
            {
                span.Stop();
                Activity.Current = previous;
            }
        }
        """);
}
