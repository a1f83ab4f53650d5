using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>ContextSnapshot, DetachedWork, ContextTimer and ContextEnvelope: behaviour, isolation and concurrency.</summary>
public sealed class FlowHelpersTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private readonly ActivitySource source = new("FlowHelpersTests." + Guid.NewGuid().ToString("N"));
    private readonly ActivityListener listener;
    private readonly ConcurrentQueue<Activity> stopped = new();

    public FlowHelpersTests()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => stopped.Enqueue(a),
        };
        ActivitySource.AddActivityListener(listener);
    }

    public void Dispose()
    {
        listener.Dispose();
        source.Dispose();
    }

    // ------------------------------------------------------------------ ContextSnapshot

    [Fact]
    public async Task Snapshot_replays_activity_and_baggage_where_flow_is_suppressed_and_restores_after()
    {
        using var request = source.StartActivity("request")!;
        Baggage.SetBaggage("tenant", "a");
        var snapshot = ContextSnapshot.Capture();

        var seen = new TaskCompletionSource<(Activity?, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.UnsafeQueueUserWorkItem(snapshot.Wrap(_ => seen.SetResult((Activity.Current, Baggage.GetBaggage("tenant")))), null);
        var (activity, tenant) = await seen.Task.WaitAsync(Guard);
        Assert.Same(request, activity);
        Assert.Equal("a", tenant);

        // On a thread with other context: replayed inside, restored after.
        await Task.Run(() =>
        {
            using var other = source.StartActivity("other")!;
            Baggage.SetBaggage("tenant", "b");
            var inside = snapshot.Run(() => (Activity.Current, Baggage.GetBaggage("tenant")));
            Assert.Same(request, inside.Item1);
            Assert.Equal("a", inside.Item2);
            Assert.Same(other, Activity.Current);
            Assert.Equal("b", Baggage.GetBaggage("tenant"));
        });
        Baggage.ClearBaggage();
    }

    [Fact]
    public async Task Snapshot_and_scope_in_a_flow_without_a_baggage_holder_leave_none_behind()
    {
        // A flow with no baggage holder has nothing to cut loose from: the helpers skip that context write (and, for
        // empty baggage, the holder), and must still restore "no holder" and keep changes made inside from leaking.
        using var request = source.StartActivity("request")!;
        Baggage.SetBaggage("tenant", "a");
        var full = ContextSnapshot.Capture();
        var empty = default(ContextSnapshot);
        Task work;
        using (ExecutionContext.SuppressFlow())
        {
            work = Task.Run(() =>
            {
                Assert.Null(RuntimeContext.GetValue("otel.baggage"));
                var inside = full.Run(() =>
                {
                    Baggage.SetBaggage("leak", "x");
                    return (Activity.Current, Baggage.GetBaggage("tenant"), Baggage.GetBaggage("leak"));
                });
                Assert.Equal((request, "a", "x"), inside);
                Assert.Null(RuntimeContext.GetValue("otel.baggage"));
                Assert.Null(Activity.Current);
                Assert.Null(Baggage.GetBaggage("leak"));

                Assert.Equal(0, empty.Run(() => Baggage.Current.Count));
                Assert.Null(RuntimeContext.GetValue("otel.baggage"));

                using (ContextScope.SetBaggage("step", "one"))
                {
                    Assert.Equal("one", Baggage.GetBaggage("step"));
                    Assert.NotNull(RuntimeContext.GetValue("otel.baggage"));
                }

                Assert.Null(RuntimeContext.GetValue("otel.baggage"));
                Assert.Null(Baggage.GetBaggage("step"));
            });
        }

        await work.WaitAsync(Guard);
        Assert.Equal("a", Baggage.GetBaggage("tenant"));
        Assert.Null(Baggage.GetBaggage("leak"));
        Baggage.ClearBaggage();
    }

    [Fact]
    public async Task Snapshot_generic_and_action_wrappers_replay_the_context_on_unsafe_hops()
    {
        using var request = source.StartActivity("request")!;
        var snapshot = ContextSnapshot.Capture();
        Assert.Same(request, snapshot.Activity);

        var generic = new TaskCompletionSource<(Activity?, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.UnsafeQueueUserWorkItem(snapshot.Wrap<int>(state => generic.SetResult((Activity.Current, state))), 7, preferLocal: false);
        Assert.Equal((request, 7), await generic.Task.WaitAsync(Guard));

        var action = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(new ThreadStart(snapshot.Wrap(() => action.SetResult(Activity.Current))));
        thread.UnsafeStart();
        Assert.Same(request, await action.Task.WaitAsync(Guard));
        thread.Join();
    }

    [Fact]
    public async Task Snapshot_of_an_empty_context_clears_and_restores()
    {
        var empty = await Task.Run(() =>
        {
            Activity.Current = null;
            OpenTelemetry.Context.RuntimeContext.SetValue("otel.baggage", null);
            return ContextSnapshot.Capture();
        });

        using var request = source.StartActivity("request")!;
        Baggage.SetBaggage("tenant", "a");
        var inside = empty.Run(() => (Activity.Current, Baggage.GetBaggage("tenant")));
        Assert.Null(inside.Item1);
        Assert.Null(inside.Item2);
        Assert.Same(request, Activity.Current);
        Assert.Equal("a", Baggage.GetBaggage("tenant"));
        Baggage.ClearBaggage();
    }

    [Fact]
    public async Task Snapshot_baggage_set_inside_does_not_leak_to_the_caller()
    {
        Baggage.SetBaggage("outer", "1");
        var snapshot = ContextSnapshot.Capture();
        snapshot.Run(() => Baggage.SetBaggage("inner", "2"));
        Assert.Null(Baggage.GetBaggage("inner"));
        Assert.Equal("1", Baggage.GetBaggage("outer"));

        await snapshot.RunAsync(async () =>
        {
            await Task.Yield();
            Assert.Equal("1", Baggage.GetBaggage("outer"));
            Baggage.SetBaggage("inner", "3");
        });
        Assert.Null(Baggage.GetBaggage("inner"));
        Baggage.ClearBaggage();
    }

    [Fact]
    public async Task Snapshot_async_flow_keeps_the_snapshot_after_awaits_and_restores_on_exception()
    {
        using var request = source.StartActivity("request")!;
        var snapshot = ContextSnapshot.Capture();
        Activity.Current = null;

        var after = await snapshot.RunAsync(async () =>
        {
            await Task.Yield();
            return Activity.Current;
        });
        Assert.Same(request, after);
        Assert.Null(Activity.Current);

        Assert.Throws<InvalidOperationException>(() => snapshot.Run(() => throw new InvalidOperationException()));
        Assert.Null(Activity.Current);
        Activity.Current = request;
    }

    [Fact]
    public async Task Snapshots_of_thousands_of_concurrent_flows_stay_isolated()
    {
        const int count = 2000;
        var failures = new ConcurrentQueue<string>();
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            using var activity = new Activity("flow-" + i).Start();
            Baggage.SetBaggage("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var snapshot = ContextSnapshot.Capture();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            ThreadPool.UnsafeQueueUserWorkItem(
                snapshot.Wrap(_ =>
                {
                    Baggage.SetBaggage("mine", "x");
                    if (Activity.Current != activity || Baggage.GetBaggage("i") != i.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    {
                        failures.Enqueue("item " + i + " saw " + Activity.Current?.OperationName + " / " + Baggage.GetBaggage("i"));
                    }

                    done.SetResult();
                }),
                null);
            await done.Task;
            if (Baggage.GetBaggage("mine") is not null)
            {
                failures.Enqueue("item " + i + " got baggage back from its snapshot");
            }
        })).ToArray();

        await Task.WhenAll(tasks).WaitAsync(Guard);
        Assert.Empty(failures);
    }

    // ------------------------------------------------------------------ DetachedWork

    [Fact]
    public async Task Detached_work_is_a_new_root_linked_to_the_caller_with_a_copy_of_its_baggage()
    {
        Task done;
        Activity request;
        var inside = new TaskCompletionSource<(Activity?, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (request = source.StartActivity("request")!)
        {
            Baggage.SetBaggage("tenant", "a");
            done = DetachedWork.Run(source, "background", async ct =>
            {
                await release.Task;
                Baggage.SetBaggage("worker", "w");
                inside.SetResult((Activity.Current, Baggage.GetBaggage("tenant")));
            });
            Baggage.SetBaggage("later", "l");
        }

        release.SetResult();
        await done.WaitAsync(Guard);
        var (activity, tenant) = await inside.Task;
        Assert.NotNull(activity);
        Assert.Equal("background", activity!.OperationName);
        Assert.Equal(default, activity.ParentSpanId);
        Assert.NotEqual(request.TraceId, activity.TraceId);
        var link = Assert.Single(activity.Links);
        Assert.Equal(request.Context.SpanId, link.Context.SpanId);
        Assert.Equal(request.TraceId, link.Context.TraceId);
        Assert.Equal("a", tenant);
        Assert.True(activity.IsStopped);

        // The copy is isolated both ways.
        Assert.Null(Baggage.GetBaggage("worker"));
        Assert.Equal("l", Baggage.GetBaggage("later"));
        Baggage.ClearBaggage();
    }

    [Fact]
    public async Task Detached_work_exceptions_are_observed_reported_and_recorded()
    {
        var name = "failing-" + Guid.NewGuid().ToString("N");
        using var events = new RuntimeEvents(e => e.EventName == "DetachedWorkFailed" && Equals(e.Payload![0], name));
        var reported = new TaskCompletionSource<DetachedWorkFailedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new DetachedWorkOptions { OnFailed = e => reported.TrySetResult(e) };
        var task = DetachedWork.Run(source, name, _ => throw new InvalidOperationException("boom"), options);
        await task.WaitAsync(Guard);
        Assert.Equal(TaskStatus.RanToCompletion, task.Status);
        var failure = await reported.Task.WaitAsync(Guard);
        Assert.Equal(name, failure.ActivityName);
        Assert.Equal("boom", failure.Exception.Message);
        var activity = Assert.Single(stopped, a => a.OperationName == name);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Contains(activity.Events, e => e.Name == "exception");
        var written = Assert.Single(events.Events);
        Assert.Equal(typeof(InvalidOperationException).FullName, written.Payload![1]);

        // A callback that throws changes nothing: the task still completes.
        var throwing = new DetachedWorkOptions { OnFailed = _ => throw new InvalidOperationException("handler") };
        var second = DetachedWork.Run(source, name, (Func<CancellationToken, Task>)(_ => throw new InvalidOperationException("again")), throwing);
        await second.WaitAsync(Guard);
        Assert.Equal(TaskStatus.RanToCompletion, second.Status);
    }

    [Fact]
    public async Task Detached_work_honours_cancellation()
    {
        var name = "cancelled-" + Guid.NewGuid().ToString("N");
        var failures = 0;
        var options = new DetachedWorkOptions { OnFailed = _ => Interlocked.Increment(ref failures) };
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var ran = false;
        await DetachedWork.Run(source, name, _ => { ran = true; }, options, cts.Token).WaitAsync(Guard);
        Assert.False(ran);

        using var cts2 = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = DetachedWork.Run(source, name, async ct =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }, options, cts2.Token);
        await started.Task.WaitAsync(Guard);
        cts2.Cancel();
        await task.WaitAsync(Guard);
        Assert.Equal(TaskStatus.RanToCompletion, task.Status);
        Assert.Equal(0, failures);
    }

    [Fact]
    public async Task Detached_work_started_where_flow_is_already_suppressed_does_not_suppress_it_again()
    {
        // A nested SuppressFlow() throws on .NET Framework and .NET before 8; DetachedWork.Run must not call it then.
        using var request = source.StartActivity("request")!;
        var name = "nested-" + Guid.NewGuid().ToString("N");
        Task task;
        var control = ExecutionContext.SuppressFlow();
        try
        {
            task = DetachedWork.Run(source, name, _ => { });
            Assert.True(ExecutionContext.IsFlowSuppressed()); // still the caller's suppression, not undone by Run
        }
        finally
        {
            control.Undo(); // the caller's own undo still works: Run took no part in it
        }

        Assert.False(ExecutionContext.IsFlowSuppressed());
        await task.WaitAsync(Guard);
        var work = Assert.Single(stopped, a => a.OperationName == name);
        Assert.Null(work.Parent);
        Assert.Equal(request.Context.SpanId, Assert.Single(work.Links).Context.SpanId);
    }

    [Fact]
    public async Task Thousands_of_concurrent_detached_works_each_link_to_their_own_caller()
    {
        const int count = 1000;
        var failures = new ConcurrentQueue<string>();
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            Task work;
            ActivityContext caller;
            using (var request = source.StartActivity("req")!)
            {
                caller = request.Context;
                Baggage.SetBaggage("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                work = DetachedWork.Run(source, "bg", async _ =>
                {
                    await Task.Yield();
                    var current = Activity.Current;
                    if (current is null || current.Links.SingleOrDefault().Context != caller || current.ParentSpanId != default)
                    {
                        failures.Enqueue("work " + i + " is not a root linked to its caller");
                    }

                    if (Baggage.GetBaggage("i") != i.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    {
                        failures.Enqueue("work " + i + " saw baggage " + Baggage.GetBaggage("i"));
                    }

                    Baggage.SetBaggage("i", "overwritten");
                });
            }

            await work;
            if (Baggage.GetBaggage("i") != i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                failures.Enqueue("caller " + i + " saw its baggage changed by its detached work");
            }
        })).ToArray();

        await Task.WhenAll(tasks).WaitAsync(Guard);
        Assert.Empty(failures);
    }

    // ------------------------------------------------------------------ ContextTimer

    [Fact]
    public async Task Timer_ticks_run_without_the_creators_context_in_fresh_roots()
    {
        using var request = source.StartActivity("request")!;
        Baggage.SetBaggage("tenant", "a");
        var ticks = new ConcurrentQueue<(Activity? Current, string? Tenant)>();
        var two = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (ContextTimer.Create(
            _ =>
            {
                ticks.Enqueue((Activity.Current, Baggage.GetBaggage("tenant")));
                if (ticks.Count >= 2)
                {
                    two.TrySetResult();
                }
            },
            null,
            1,
            1,
            source,
            "tick"))
        {
            await two.Task.WaitAsync(Guard);
        }

        var seen = ticks.Take(2).ToList();
        Assert.All(seen, t =>
        {
            Assert.NotNull(t.Current);
            Assert.Equal("tick", t.Current!.OperationName);
            Assert.Equal(default, t.Current.ParentSpanId);
            Assert.NotEqual(request.TraceId, t.Current.TraceId);
            Assert.Null(t.Tenant);
        });
        Assert.NotEqual(seen[0].Current!.TraceId, seen[1].Current!.TraceId);
        Assert.Same(request, Activity.Current);
        Assert.False(ExecutionContext.IsFlowSuppressed());
        Baggage.ClearBaggage();
    }

    [Fact]
    public async Task Timer_without_a_source_runs_ticks_with_no_activity()
    {
        using var request = source.StartActivity("request")!;
        var tick = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = ContextTimer.Create(_ => tick.TrySetResult(Activity.Current), null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        Assert.Null(await tick.Task.WaitAsync(Guard));
    }

    // ------------------------------------------------------------------ ContextEnvelope

    [Fact]
    public async Task Envelope_restores_producer_context_as_parent_or_link_and_then_the_consumers()
    {
        ContextEnvelope<int> envelope;
        ActivityContext producer;
        using (var send = source.StartActivity("send")!)
        {
            producer = send.Context;
            Baggage.SetBaggage("tenant", "a");
            envelope = ContextEnvelope.Create(42);
            Baggage.ClearBaggage();
        }

        await Task.Run(() =>
        {
            using var consumerLoop = source.StartActivity("loop")!;
            using (var scope = envelope.Open(source, "process"))
            {
                Assert.Same(scope.Activity, Activity.Current);
                Assert.Equal(producer.SpanId, scope.Activity!.ParentSpanId);
                Assert.Equal(producer.TraceId, scope.Activity.TraceId);
                Assert.Equal("a", Baggage.GetBaggage("tenant"));
                Assert.Equal(42, envelope.Item);
            }

            Assert.Same(consumerLoop, Activity.Current);
            Assert.Null(Baggage.GetBaggage("tenant"));

            using (var scope = envelope.Open(source, "process-linked", link: true))
            {
                Assert.Equal(default, scope.Activity!.ParentSpanId);
                Assert.Equal(producer.SpanId, Assert.Single(scope.Activity.Links).Context.SpanId);
            }

            Assert.Same(consumerLoop, Activity.Current);
        });
    }

    [Fact]
    public async Task Every_queued_item_is_processed_under_its_own_context()
    {
        const int producers = 50;
        const int perProducer = 40;
        var channel = Channel.CreateUnbounded<ContextEnvelope<int>>();
        var expected = new ConcurrentDictionary<int, ActivityContext>();
        var failures = new ConcurrentQueue<string>();
        var processed = new ConcurrentDictionary<int, bool>();

        var consumers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var loop = source.StartActivity("consumer-loop");
            await foreach (var envelope in channel.Reader.ReadAllAsync())
            {
                using var scope = envelope.Open(source, "process");
                var tenant = Baggage.GetBaggage("item");
                if (tenant != envelope.Item.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    failures.Enqueue("item " + envelope.Item + " saw baggage " + tenant);
                }

                if (scope.Activity?.ParentSpanId != expected[envelope.Item].SpanId)
                {
                    failures.Enqueue("item " + envelope.Item + " has the wrong parent");
                }

                Baggage.SetBaggage("leak", "x");
                await Task.Yield();
                processed[envelope.Item] = true;
            }

            if (Baggage.GetBaggage("leak") is not null)
            {
                failures.Enqueue("a consumer kept an item's baggage");
            }
        })).ToArray();

        var producing = Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            // Each producer gets a baggage holder of its own (the holder is shared with the test's flow otherwise).
            OpenTelemetry.Context.RuntimeContext.SetValue("otel.baggage", null);
            for (var j = 0; j < perProducer; j++)
            {
                var item = (p * perProducer) + j;
                using var send = source.StartActivity("send")!;
                expected[item] = send.Context;
                Baggage.SetBaggage("item", item.ToString(System.Globalization.CultureInfo.InvariantCulture));

                await channel.Writer.WriteAsync(ContextEnvelope.Create(item));
            }
        })).ToArray();

        await Task.WhenAll(producing).WaitAsync(Guard);
        channel.Writer.Complete();
        await Task.WhenAll(consumers).WaitAsync(Guard);

        Assert.Empty(failures);
        Assert.Equal(producers * perProducer, processed.Count);
    }
}
