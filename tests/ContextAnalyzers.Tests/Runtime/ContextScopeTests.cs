using System.Diagnostics;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>The allocation test counts this thread's allocations: never run beside itself.</summary>
[CollectionDefinition(nameof(ContextScopeCollection), DisableParallelization = true)]
public sealed class ContextScopeCollection
{
}

[Collection(nameof(ContextScopeCollection))]
public class ContextScopeTests
{
    private const int Tasks = 4000;

    // Each test runs in its own flow so that what it sets never reaches another test.
    private static Task InOwnFlow(Func<Task> body) => Task.Run(async () =>
    {
        _ = Baggage.Current; // runs Baggage's static constructor, which registers the slot
        RuntimeContext.SetValue(ContextScope.BaggageSlotName, null);
        Activity.Current = null;
        await body();
    });

    [Fact]
    public Task SetBaggage_sets_and_dispose_restores() => InOwnFlow(async () =>
    {
        using (ContextScope.SetBaggage("a", "1"))
        {
            Assert.Equal("1", Baggage.GetBaggage("a"));
            using (ContextScope.SetBaggage("b", "2"))
            {
                await Task.Yield();
                Assert.Equal("1", Baggage.GetBaggage("a"));
                Assert.Equal("2", Baggage.GetBaggage("b"));
            }

            Assert.Null(Baggage.GetBaggage("b"));
            Assert.Equal("1", Baggage.GetBaggage("a"));
        }

        Assert.Null(Baggage.GetBaggage("a"));
        Assert.Equal(0, Baggage.Current.Count);
    });

    [Fact]
    public Task SetBaggage_items_Remove_Clear_and_Use() => InOwnFlow(() =>
    {
        Baggage.SetBaggage("keep", "k");
        using (ContextScope.SetBaggage(new[] { new KeyValuePair<string, string?>("x", "1"), new KeyValuePair<string, string?>("y", "2") }))
        {
            Assert.Equal("1", Baggage.GetBaggage("x"));
            Assert.Equal("2", Baggage.GetBaggage("y"));
            Assert.Equal("k", Baggage.GetBaggage("keep"));
            using (ContextScope.RemoveBaggage("keep"))
            {
                Assert.Null(Baggage.GetBaggage("keep"));
                Assert.Equal("1", Baggage.GetBaggage("x"));
            }

            using (ContextScope.ClearBaggage())
            {
                Assert.Equal(0, Baggage.Current.Count);
            }

            using (ContextScope.Use(Baggage.Create(new Dictionary<string, string> { ["only"] = "o" })))
            {
                Assert.Equal("o", Baggage.GetBaggage("only"));
                Assert.Equal(1, Baggage.Current.Count);
            }

            Assert.Equal("k", Baggage.GetBaggage("keep"));
            Assert.Equal("1", Baggage.GetBaggage("x"));
        }

        Assert.Equal("k", Baggage.GetBaggage("keep"));
        Assert.Null(Baggage.GetBaggage("x"));
        return Task.CompletedTask;
    });

    [Fact]
    public Task Baggage_scope_never_mutates_the_holder_it_shares_with_the_parent() => InOwnFlow(async () =>
    {
        Baggage.SetBaggage("parent", "p");
        object? parentHolder = RuntimeContext.GetValue(ContextScope.BaggageSlotName);

        await Task.Run(() =>
        {
            // The child shares the parent's holder object (the upstream shared-holder behaviour).
            Assert.Same(parentHolder, RuntimeContext.GetValue(ContextScope.BaggageSlotName));
            using (ContextScope.SetBaggage("child", "c"))
            {
                Assert.NotSame(parentHolder, RuntimeContext.GetValue(ContextScope.BaggageSlotName));

                // Even the leaky static API now writes only the scope's own holder.
                Baggage.SetBaggage("leaky", "l");
                Assert.Equal("l", Baggage.GetBaggage("leaky"));
            }

            Assert.Same(parentHolder, RuntimeContext.GetValue(ContextScope.BaggageSlotName));
        });

        Assert.Equal("p", Baggage.GetBaggage("parent"));
        Assert.Null(Baggage.GetBaggage("child"));
        Assert.Null(Baggage.GetBaggage("leaky"));
        Assert.Equal(1, Baggage.Current.Count);
    });

    [Fact]
    public Task Thousands_of_concurrent_baggage_scopes_each_see_only_their_own_values() => InOwnFlow(async () =>
    {
        Baggage.SetBaggage("root", "r");
        var failures = 0;
        using var start = new ManualResetEventSlim(false);

        var tasks = Enumerable.Range(0, Tasks).Select(i => Task.Run(async () =>
        {
            string mine = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using (ContextScope.SetBaggage("id", mine))
            {
                for (int step = 0; step < 3; step++)
                {
                    await Task.Yield();
                    if (Baggage.GetBaggage("id") != mine || Baggage.GetBaggage("root") != "r" || Baggage.Current.Count != 2)
                    {
                        Interlocked.Increment(ref failures);
                    }

                    // A grandchild flow sees the scope; its own scope does not come back.
                    await Task.Run(() =>
                    {
                        using var inner = ContextScope.SetBaggage("inner", mine);
                        if (Baggage.GetBaggage("id") != mine || Baggage.GetBaggage("inner") != mine)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    });

                    if (Baggage.GetBaggage("inner") is not null)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }

            if (Baggage.GetBaggage("id") is not null || Baggage.GetBaggage("root") != "r")
            {
                Interlocked.Increment(ref failures);
            }
        })).ToArray();

        await Task.WhenAll(tasks);

        Assert.Equal(0, failures);
        Assert.Equal("r", Baggage.GetBaggage("root"));
        Assert.Null(Baggage.GetBaggage("id"));
        Assert.Null(Baggage.GetBaggage("inner"));
        Assert.Equal(1, Baggage.Current.Count);
    });

    [Fact]
    public Task Thousands_of_concurrent_activity_scopes_each_see_only_their_own_activity() => InOwnFlow(async () =>
    {
        using var root = new Activity("root").Start();
        var failures = 0;

        var tasks = Enumerable.Range(0, Tasks).Select(i => Task.Run(async () =>
        {
            var mine = new Activity("task" + i).SetParentId(root.TraceId, root.SpanId).Start();
            Activity.Current = root; // Start made it current; the scope does it explicitly below.
            using (ContextScope.Activate(mine))
            {
                for (int step = 0; step < 3; step++)
                {
                    await Task.Yield();
                    if (!ReferenceEquals(Activity.Current, mine))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }

            if (!ReferenceEquals(Activity.Current, root))
            {
                Interlocked.Increment(ref failures);
            }

            mine.Stop();
        })).ToArray();

        await Task.WhenAll(tasks);
        Assert.Equal(0, failures);
        Assert.Same(root, Activity.Current);
    });

    [Fact]
    public Task Activate_ClearActivity_restore_the_previous_activity() => InOwnFlow(() =>
    {
        using var outer = new Activity("outer").Start();
        var other = new Activity("other").Start();
        Activity.Current = outer;

        using (ContextScope.Activate(other))
        {
            Assert.Same(other, Activity.Current);
            using (ContextScope.ClearActivity())
            {
                Assert.Null(Activity.Current);
            }

            Assert.Same(other, Activity.Current);
        }

        Assert.Same(outer, Activity.Current);
        other.Stop();
        return Task.CompletedTask;
    });

    [Fact]
    public Task Activate_restores_the_nearest_running_ancestor_when_the_previous_activity_stopped() => InOwnFlow(() =>
    {
        var parent = new Activity("parent").Start();
        var child = new Activity("child").Start();
        Assert.Same(child, Activity.Current);

        var scope = ContextScope.Activate(null);
        child.Stop();
        scope.Dispose();

        Assert.Same(parent, Activity.Current);
        scope.Dispose(); // still harmless
        Assert.Same(parent, Activity.Current);
        parent.Stop();
        return Task.CompletedTask;
    });

    [Fact]
    public Task Attach_makes_the_baggage_current_and_exposes_the_parent() => InOwnFlow(() =>
    {
        var remote = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        var extracted = new PropagationContext(remote, Baggage.Create(new Dictionary<string, string> { ["tenant"] = "t1" }));

        using (var scope = ContextScope.Attach(extracted))
        {
            Assert.Equal(remote, scope.Parent);
            Assert.Equal("t1", Baggage.GetBaggage("tenant"));
            Assert.Null(Activity.Current);
            Assert.True(scope.IsCurrent);
        }

        Assert.Null(Baggage.GetBaggage("tenant"));
        using (var other = ContextScope.SetBaggage("k", "v"))
        {
            Assert.Equal(default(ActivityContext), other.Parent);
        }

        return Task.CompletedTask;
    });

    [Fact]
    public Task SetValue_sets_a_registered_slot_and_restores_it() => InOwnFlow(async () =>
    {
        const string slotName = "contextanalyzers.tests.slot";
        try
        {
            RuntimeContext.RegisterSlot<string>(slotName);
        }
        catch (InvalidOperationException)
        {
            // Registered by an earlier run in this process.
        }

        RuntimeContext.SetValue<string>(slotName, "before");
        using (ContextScope.SetValue(slotName, "inside"))
        {
            await Task.Yield();
            Assert.Equal("inside", RuntimeContext.GetValue<string>(slotName));
            await Task.Run(() =>
            {
                using var sibling = ContextScope.SetValue(slotName, "sibling");
                Assert.Equal("sibling", RuntimeContext.GetValue<string>(slotName));
            });
            Assert.Equal("inside", RuntimeContext.GetValue<string>(slotName));
        }

        Assert.Equal("before", RuntimeContext.GetValue<string>(slotName));
        Assert.Throws<ArgumentException>(() => ContextScope.SetValue("contextanalyzers.tests.unregistered", 1));
        Assert.Throws<InvalidCastException>(() => ContextScope.SetValue(slotName, 1)); // registered as string
        Assert.Equal("before", RuntimeContext.GetValue<string>(slotName)); // nothing changed by the failed calls
    });

    [Fact]
    public Task Default_and_double_dispose_are_harmless() => InOwnFlow(() =>
    {
        using var events = new RuntimeEvents();
        {
            default(ContextScope).Dispose();
            Assert.False(default(ContextScope).IsCurrent);

            using (ContextScope.SetBaggage("outer", "o"))
            {
                var scope = ContextScope.SetBaggage("a", "1");
                Assert.True(scope.IsCurrent);
                scope.Dispose();
                Assert.False(scope.IsCurrent);
                scope.Dispose(); // nothing left to undo: no report, no throw
                Assert.Equal("o", Baggage.GetBaggage("outer"));
                Assert.Null(Baggage.GetBaggage("a"));

                using (var copy = ContextScope.Activate(null))
                {
                    copy.Dispose(); // using disposes it a second time
                }

                Assert.Equal("o", Baggage.GetBaggage("outer"));
            }
        }

        Assert.Empty(events.Named("ScopeMismatch"));
        Assert.Equal(0, Baggage.Current.Count);
        return Task.CompletedTask;
    });

    [Fact]
    public Task Out_of_order_disposal_is_reported_and_restores_what_the_scope_replaced() => InOwnFlow(() =>
    {
        using var events = new RuntimeEvents();
        var outer = ContextScope.SetBaggage("outer", "o");
        var inner = ContextScope.SetBaggage("inner", "i");
        outer.Dispose();
        var first = Assert.Single(events.Named("ScopeMismatch"));
        Assert.Equal("Baggage", first.Payload![0]);
        Assert.Equal(0, Baggage.Current.Count);
        inner.Dispose(); // documented: the last disposal wins, and it is reported too
        Assert.Equal(2, events.Named("ScopeMismatch").Count);
        return Task.CompletedTask;
    });

    [Fact]
    public Task A_mismatch_is_reported_after_restoring_and_never_throws() => InOwnFlow(() =>
    {
        using var events = new RuntimeEvents();
        var outerActivity = new Activity("outer").Start();
        var scope = ContextScope.ClearActivity();
        Activity.Current = outerActivity; // changed inside the scope without restoring
        var other = new Activity("other").Start(); // and another one started and left current
        scope.Dispose();
        Assert.Same(outerActivity, Activity.Current);
        Assert.Equal("Activity", Assert.Single(events.Named("ScopeMismatch")).Payload![0]);

        other.Dispose();
        outerActivity.Dispose();
        return Task.CompletedTask;
    });

    [Fact]
    public Task Scopes_allocate_nothing_beyond_the_context_writes_they_wrap() => InOwnFlow(() =>
    {
        const int iterations = 2000;
        var activity = new Activity("a").Start();
        Activity.Current = null;
        var baggage = Baggage.Create(new Dictionary<string, string> { ["k"] = "v" });

        void RawActivity()
        {
            var previous = Activity.Current;
            Activity.Current = activity;
            Activity.Current = previous;
        }

        void ScopedActivity()
        {
            using var scope = ContextScope.Activate(activity);
        }

        void RawBaggage()
        {
            var previous = RuntimeContext.GetValue(ContextScope.BaggageSlotName);
            RuntimeContext.SetValue(ContextScope.BaggageSlotName, null);
            Baggage.Current = baggage;
            RuntimeContext.SetValue(ContextScope.BaggageSlotName, previous);
        }

        void ScopedBaggage()
        {
            using var scope = ContextScope.Use(baggage);
        }

        static long Measure(Action action)
        {
            for (var i = 0; i < 100; i++)
            {
                action(); // warm up
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < iterations; i++)
            {
                action();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // Less than one byte per scope of difference: the struct itself allocates nothing.
        Assert.InRange(Measure(ScopedActivity) - Measure(RawActivity), long.MinValue, iterations - 1);
        Assert.InRange(Measure(ScopedBaggage) - Measure(RawBaggage), long.MinValue, iterations - 1);
        activity.Stop();
        return Task.CompletedTask;
    });

    [Fact]
    public Task Scope_restores_on_exception_paths() => InOwnFlow(() =>
    {
        static void Throws()
        {
            using var scope = ContextScope.SetBaggage("k", "v");
            throw new InvalidOperationException("boom");
        }

        Assert.Throws<InvalidOperationException>(Throws);
        Assert.Null(Baggage.GetBaggage("k"));
        return Task.CompletedTask;
    });
}
