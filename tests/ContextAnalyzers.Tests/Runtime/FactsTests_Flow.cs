using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// The flow table CTX201–CTX207 stand on, proved on the real assemblies (.NET runtime + OpenTelemetry.Api):
/// which hops carry the ExecutionContext, what a timer captures, what comes back from a child flow.
/// </summary>
public class FactsTests_Flow
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static Activity NewActivity(string name) => new Activity(name).Start();

    [Fact]
    public async Task Task_Run_StartNew_and_Parallel_flow_the_activity_and_baggage()
    {
        using var activity = NewActivity("parent");
        Baggage.SetBaggage("k", "v");

        var seen = await Task.Run(() => (Activity.Current, Baggage.GetBaggage("k")));
        Assert.Same(activity, seen.Item1);
        Assert.Equal("v", seen.Item2);

        var longRunning = await Task.Factory.StartNew(() => Activity.Current, TaskCreationOptions.LongRunning);
        Assert.Same(activity, longRunning);

        var parallel = new Activity?[4];
        Parallel.For(0, parallel.Length, i => parallel[i] = Activity.Current);
        Assert.All(parallel, a => Assert.Same(activity, a));
        Baggage.ClearBaggage();
    }

    [Fact]
    public async Task QueueUserWorkItem_and_Thread_Start_flow()
    {
        using var activity = NewActivity("parent");

        var queued = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.QueueUserWorkItem(_ => queued.SetResult(Activity.Current));
        Assert.Same(activity, await queued.Task.WaitAsync(Guard));

        Activity? onThread = null;
        var thread = new Thread(() => onThread = Activity.Current);
        thread.Start();
        thread.Join();
        Assert.Same(activity, onThread);

        var registered = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        cts.Token.Register(() => registered.SetResult(Activity.Current));
        await Task.Run(() => cts.Cancel());
        Assert.Same(activity, await registered.Task.WaitAsync(Guard));
    }

    [Fact]
    public async Task Unsafe_apis_and_SuppressFlow_do_not_flow()
    {
        using var activity = NewActivity("parent");

        var queued = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.UnsafeQueueUserWorkItem(_ => queued.SetResult(Activity.Current), null);
        Assert.Null(await queued.Task.WaitAsync(Guard));

        Activity? onThread = activity;
        var thread = new Thread(() => onThread = Activity.Current);
        thread.UnsafeStart();
        thread.Join();
        Assert.Null(onThread);

        Task<Activity?> suppressed;
        using (ExecutionContext.SuppressFlow())
        {
            suppressed = Task.Run(() => Activity.Current);
        }

        Assert.Null(await suppressed.WaitAsync(Guard));
    }

    [Fact]
    public async Task UnsafeRegister_runs_in_the_cancellers_context()
    {
        using var registrant = NewActivity("registrant");
        var seen = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        cts.Token.UnsafeRegister(_ => seen.SetResult(Activity.Current), null);
        registrant.Stop();

        await Task.Run(() =>
        {
            Activity.Current = null;
            cts.Cancel();
        });
        Assert.Null(await seen.Task.WaitAsync(Guard));
    }

    [Fact]
    public async Task Timer_captures_the_context_at_construction_for_every_tick()
    {
        var request = NewActivity("request");
        var ticks = new List<Activity?>();
        var twoTicks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = new Timer(
            _ =>
            {
                lock (ticks)
                {
                    ticks.Add(Activity.Current);
                    if (ticks.Count == 2)
                    {
                        twoTicks.TrySetResult();
                    }
                }
            },
            null,
            1,
            1);
        request.Stop();
        Activity.Current = null;

        await twoTicks.Task.WaitAsync(Guard);
        lock (ticks)
        {
            Assert.All(ticks, t => Assert.Same(request, t));
        }

        Assert.True(request.IsStopped);
    }

    [Fact]
    public async Task Timer_created_under_SuppressFlow_captures_nothing()
    {
        using var request = NewActivity("request");
        var tick = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Timer timer;
        bool restore = false;
        try
        {
            ExecutionContext.SuppressFlow();
            restore = true;
            timer = new Timer(_ => tick.TrySetResult(Activity.Current), null, 1, Timeout.Infinite);
        }
        finally
        {
            if (restore)
            {
                ExecutionContext.RestoreFlow();
            }
        }

        using (timer)
        {
            Assert.Null(await tick.Task.WaitAsync(Guard));
        }
    }

    [Fact]
    public async Task ConfigureAwait_false_keeps_the_execution_context()
    {
        using var activity = NewActivity("parent");
        await Task.Yield();
        await Task.Delay(1).ConfigureAwait(false);
        Assert.Same(activity, Activity.Current);
    }

    [Fact]
    public async Task Activity_change_in_a_child_flow_does_not_come_back()
    {
        using var parent = NewActivity("parent");
        using var other = new Activity("other").Start();
        Activity.Current = parent;

        await Task.Run(() => { Activity.Current = other; });
        Assert.Same(parent, Activity.Current);

        await SetCurrentAsync(other);
        Assert.Same(parent, Activity.Current);

        static async Task SetCurrentAsync(Activity a)
        {
            await Task.Yield();
            Activity.Current = a;
        }
    }

    [Fact]
    public async Task Baggage_change_in_a_child_leaks_through_the_shared_holder_or_is_lost()
    {
        // With a holder in the parent: the child's static SetBaggage mutates it, and the parent sees the change.
        await Task.Run(async () =>
        {
            Baggage.SetBaggage("parent", "1");
            await Task.Run(() => Baggage.SetBaggage("child", "2"));
            Assert.Equal("2", Baggage.GetBaggage("child"));
        });

        // Without a holder in the parent: the child's change is lost.
        await Task.Run(async () =>
        {
            RuntimeContext.SetValue("otel.baggage", null);
            await Task.Run(() => Baggage.SetBaggage("child", "2"));
            Assert.Null(Baggage.GetBaggage("child"));
        });

        // A child that cuts loose first keeps its change to itself.
        await Task.Run(async () =>
        {
            Baggage.SetBaggage("parent", "1");
            await Task.Run(() =>
            {
                RuntimeContext.SetValue("otel.baggage", null);
                Baggage.SetBaggage("child", "2");
            });
            Assert.Null(Baggage.GetBaggage("child"));
            Assert.Equal("1", Baggage.GetBaggage("parent"));
        });
    }

    [Fact]
    public async Task Fire_and_forget_work_sees_a_stopped_activity_as_current()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<Activity?> work;
        Activity request;
        using (request = NewActivity("request"))
        {
            work = Task.Run(async () =>
            {
                await release.Task;
                return Activity.Current;
            });
        }

        release.SetResult();
        var seen = await work.WaitAsync(Guard);
        Assert.Same(request, seen);
        Assert.True(seen!.IsStopped);
    }

    [Fact]
    public async Task AsyncLocal_flows_and_ThreadLocal_does_not()
    {
        var asyncLocal = new AsyncLocal<string?> { Value = "a" };
        using var threadLocal = new ThreadLocal<string?>(() => null) { Value = "t" };
        await Task.Yield();
        var seen = await Task.Run(() => (asyncLocal.Value, threadLocal.Value));
        Assert.Equal("a", seen.Item1);
        Assert.Null(seen.Item2);
    }
}
