using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// The runtime facts CTX101–CTX105 stand on, proved on the real assemblies (OpenTelemetry 1.20.1, .NET's Activity).
/// Each test runs in its own flow so that nothing it sets leaks into another test.
/// </summary>
[Collection(nameof(ContextScopeCollection))]
public class FactsTests_Lifetime
{
    private static Task InOwnFlow(Func<Task> body) => Task.Run(async () =>
    {
        _ = Baggage.Current; // runs Baggage's static constructor, which registers the slot
        RuntimeContext.SetValue("otel.baggage", null);
        Activity.Current = null;
        await body();
    });

    private static async Task SetActivityInAsyncMethod(Activity activity)
    {
        await Task.Yield();
        Activity.Current = activity;
    }

    private static void SetActivityInSyncMethod(Activity activity) => Activity.Current = activity;

    [Fact]
    public Task CTX101_Activity_Current_set_in_an_async_method_is_not_seen_by_the_caller() => InOwnFlow(async () =>
    {
        var activity = new Activity("a").Start();
        Activity.Current = null;

        await SetActivityInAsyncMethod(activity);
        Assert.Null(Activity.Current);

        // Even when the async method completes synchronously, the builder restores the caller's context.
        static async Task SetSynchronously(Activity a)
        {
            Activity.Current = a;
            await Task.CompletedTask;
        }

        await SetSynchronously(activity);
        Assert.Null(Activity.Current);
        activity.Stop();
    });

    [Fact]
    public Task CTX101_Activity_Current_set_in_a_synchronous_method_leaks_to_the_caller() => InOwnFlow(() =>
    {
        var activity = new Activity("a").Start();
        Activity.Current = null;

        SetActivityInSyncMethod(activity);
        Assert.Same(activity, Activity.Current);
        activity.Stop();
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX101_static_SetBaggage_RemoveBaggage_ClearBaggage_write_Current() => InOwnFlow(() =>
    {
        Baggage.SetBaggage("k", "v");
        Assert.Equal("v", Baggage.Current.GetBaggage("k"));
        Baggage.SetBaggage("k2", "v2");
        Baggage.RemoveBaggage("k");
        Assert.Null(Baggage.Current.GetBaggage("k"));
        Assert.Equal("v2", Baggage.Current.GetBaggage("k2"));
        Baggage.ClearBaggage();
        Assert.Equal(0, Baggage.Current.Count);
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX101_static_SetBaggage_in_an_async_child_mutates_the_holder_it_shares_with_the_caller() => InOwnFlow(async () =>
    {
        Baggage.SetBaggage("parent", "p"); // the caller now has a holder
        static async Task Child()
        {
            await Task.Yield();
            Baggage.SetBaggage("child", "c");
        }

        await Child();
        Assert.Equal("c", Baggage.GetBaggage("child")); // leaked through the shared holder

        await Task.Run(() => Baggage.SetBaggage("sibling", "s"));
        Assert.Equal("s", Baggage.GetBaggage("sibling"));
    });

    [Fact]
    public Task CTX104_instance_Baggage_methods_change_nothing() => InOwnFlow(() =>
    {
        Baggage.SetBaggage("k", "v");
        var before = Baggage.Current;

        var result = Baggage.Current.SetBaggage("other", "o");
        _ = Baggage.Current.RemoveBaggage("k");
        _ = Baggage.Current.ClearBaggage();

        Assert.Equal("o", result.GetBaggage("other"));
        Assert.Equal(before, Baggage.Current);
        Assert.Null(Baggage.GetBaggage("other"));
        Assert.Equal("v", Baggage.GetBaggage("k"));
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX105_static_call_with_an_explicit_baggage_replaces_Current_with_the_argument_result() => InOwnFlow(() =>
    {
        Baggage.SetBaggage("current", "c");
        var explicitBaggage = Baggage.Create(new Dictionary<string, string> { ["explicit"] = "e" });

        var returned = Baggage.SetBaggage("added", "a", explicitBaggage);

        Assert.Equal(returned, Baggage.Current);
        Assert.Null(Baggage.GetBaggage("current")); // what was current is lost
        Assert.Equal("e", Baggage.GetBaggage("explicit"));
        Assert.Equal("a", Baggage.GetBaggage("added"));

        Baggage.SetBaggage("current", "c");
        Baggage.RemoveBaggage("explicit", explicitBaggage);
        Assert.Null(Baggage.GetBaggage("current"));

        Baggage.SetBaggage("current", "c");
        Baggage.ClearBaggage(explicitBaggage);
        Assert.Equal(0, Baggage.Current.Count);
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX103_Stop_puts_back_the_activity_current_when_it_started_not_its_parent() => InOwnFlow(() =>
    {
        var parent = new Activity("parent").Start();
        var unrelated = new Activity("unrelated").Start();
        Activity.Current = parent;
        var child = new Activity("child").Start();
        Activity.Current = unrelated;

        // Stopping "whatever is current" stops an activity this code did not start.
        Activity.Current!.Stop();
        Assert.True(unrelated.IsStopped);
        Assert.Same(parent, Activity.Current);
        Assert.False(child.IsStopped);

        child.Stop();
        Assert.Same(parent, Activity.Current);
        parent.Stop();
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX102_an_activity_that_is_never_stopped_stays_current_after_the_method_returns() => InOwnFlow(() =>
    {
        static void Leaky() => _ = new Activity("leaky").Start();

        Leaky();
        Assert.NotNull(Activity.Current);
        Assert.False(Activity.Current!.IsStopped);
        Assert.Equal("leaky", Activity.Current.OperationName);
        Activity.Current.Stop();
        return Task.CompletedTask;
    });
}
