using System.Diagnostics;
using System.Runtime.CompilerServices;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// Strict mode, kind by kind: each finding is reported where the bug is, with its rule ID, its docs link and the stack
/// trace that points at the code at fault, and a look-alike that is correct is not reported. Guards are per flow, so
/// these tests run in parallel with everything else.
/// </summary>
public sealed class StrictModeTests : IDisposable
{
    private const string SlotName = "contextanalyzers.tests.strict.slot";

    private readonly ActivitySource source = new("StrictModeTests." + Guid.NewGuid().ToString("N"));

    static StrictModeTests() => RuntimeContext.RegisterSlot<string>(SlotName);

    public void Dispose() => source.Dispose();

    private static StrictModeOptions Quiet(Action<StrictModeOptions>? configure = null)
    {
        var options = new StrictModeOptions { ThrowFromGuard = false };
        configure?.Invoke(options);
        return options;
    }

    // Each test runs in a flow of its own, from an empty context, so that nothing it does reaches another test.
    private static Task InOwnFlow(Func<Task> body) => Task.Run(async () =>
    {
        _ = Baggage.Current;
        RuntimeContext.SetValue(ContextScope.BaggageSlotName, null);
        Activity.Current = null;
        await body();
    });

    private static Task InOwnFlow(Action body) => InOwnFlow(() =>
    {
        body();
        return Task.CompletedTask;
    });

    private static ContextLeakFinding Single(ContextGuard guard, ContextLeakKind kind, string ruleId)
    {
        var finding = Assert.Single(guard.Findings);
        Assert.Equal(kind, finding.Kind);
        Assert.Equal(ruleId, finding.RuleId);
        Assert.Equal("https://github.com/ContextAnalyzers/ContextAnalyzers/blob/main/docs/rules/" + ruleId + ".md", finding.HelpLink);
        Assert.Contains(ruleId, finding.ToString(), StringComparison.Ordinal);
        return finding;
    }

    // ------------------------------------------------------------------ CTX101: context not restored

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeakCurrent(Activity activity) => Activity.Current = activity;

    [Fact]
    public Task Activity_left_current_is_reported_with_where_it_was_set_and_put_back() => InOwnFlow(() =>
    {
        using var request = source.StartActivity("request")!;
        var other = new Activity("other").Start();
        Activity.Current = request;

        var guard = ContextGuard.Begin(Quiet());
        LeakCurrent(other);
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.ContextNotRestored, "CTX101");
        Assert.Contains("'other'", finding.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(LeakCurrent), finding.StackTrace, StringComparison.Ordinal);
        Assert.Same(request, Activity.Current); // the guard put back what it recorded
        other.Stop();
    });

    [Fact]
    public Task Activity_restored_in_finally_or_by_a_scope_is_not_reported() => InOwnFlow(() =>
    {
        using var request = source.StartActivity("request")!;
        var other = new Activity("other").Start();
        Activity.Current = request;

        var guard = ContextGuard.Begin(Quiet());
        var previous = Activity.Current;
        try
        {
            Activity.Current = other;
        }
        finally
        {
            Activity.Current = previous;
        }

        using (ContextScope.Activate(other))
        {
        }

        using (ContextScope.ClearActivity())
        {
        }

        guard.Dispose();
        Assert.Empty(guard.Findings);
        other.Stop();
    });

    [Fact]
    public Task Baggage_set_and_not_restored_is_reported_and_put_back() => InOwnFlow(() =>
    {
        var guard = ContextGuard.Begin(Quiet());
        Baggage.SetBaggage("tenant", "acme");
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.ContextNotRestored, "CTX101");
        Assert.Contains("{tenant}", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("acme", finding.ToString(), StringComparison.Ordinal); // values never reported
        Assert.Equal(0, Baggage.Current.Count);
    });

    [Fact]
    public Task Baggage_through_scopes_and_awaited_children_is_not_reported() => InOwnFlow(async () =>
    {
        Baggage.SetBaggage("tenant", "acme");
        var guard = ContextGuard.Begin(Quiet());
        using (ContextScope.SetBaggage("stage", "one"))
        {
            await Task.Run(() =>
            {
                using var child = ContextScope.SetBaggage("child", "c");
            });
        }

        await ChildAsync();
        guard.Dispose();
        Assert.Empty(guard.Findings);
        Assert.Equal("acme", Baggage.GetBaggage("tenant"));

        static async Task ChildAsync()
        {
            await Task.Yield();
            using var scope = ContextScope.SetBaggage("async", "a");
        }
    });

    [Fact]
    public Task A_registered_slot_left_changed_is_reported_and_a_scoped_change_is_not() => InOwnFlow(() =>
    {
        RuntimeContext.SetValue(SlotName, "before");
        var guard = ContextGuard.Begin(Quiet(o => o.ContextSlots.Add(SlotName)));
        using (ContextScope.SetValue(SlotName, "scoped"))
        {
        }

        RuntimeContext.SetValue(SlotName, "leaked");
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.ContextNotRestored, "CTX101");
        Assert.Contains(SlotName, finding.Message, StringComparison.Ordinal);
        Assert.Equal("before", RuntimeContext.GetValue<string>(SlotName));
    });

    // ------------------------------------------------------------------ CTX206: baggage shared with sibling flows

    [Fact]
    public Task A_child_flow_changing_the_shared_holder_is_reported() => InOwnFlow(async () =>
    {
        Baggage.SetBaggage("tenant", "acme");
        var guard = ContextGuard.Begin(Quiet());
        await Task.Run(() => Baggage.SetBaggage("stage", "leaked"));
        Assert.Equal("leaked", Baggage.GetBaggage("stage")); // the fact: the child's change reached the parent
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.BaggageSharedWithSiblings, "CTX206");
        Assert.Contains("{stage, tenant}", finding.Message, StringComparison.Ordinal);
        Assert.Null(Baggage.GetBaggage("stage")); // put back, for every flow sharing the holder
        Assert.Equal("acme", Baggage.GetBaggage("tenant"));
    });

    [Fact]
    public Task A_change_in_one_flow_seen_by_a_sibling_started_before_it_is_reported_where_it_was_made() => InOwnFlow(async () =>
    {
        Baggage.SetBaggage("tenant", "acme");
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ContextGuard? writerGuard = null;
        ContextGuard? readerGuard = null;
        string? seen = null;

        var reader = Task.Run(async () =>
        {
            readerGuard = ContextGuard.Begin(Quiet());
            readerStarted.SetResult();
            await changed.Task;
            seen = Baggage.GetBaggage("stage");
            read.SetResult();
            await writerDone.Task;
            readerGuard.Dispose();
        });
        await readerStarted.Task;
        var writer = Task.Run(async () =>
        {
            writerGuard = ContextGuard.Begin(Quiet());
            Baggage.SetBaggage("stage", "writer");
            changed.SetResult();
            await read.Task;
            writerGuard.Dispose();
            writerDone.SetResult();
        });
        await Task.WhenAll(reader, writer);

        Assert.Equal("writer", seen); // the leak, as OpenTelemetry behaves: the sibling started before the change sees it
        var finding = Single(writerGuard!, ContextLeakKind.BaggageSharedWithSiblings, "CTX206");
        Assert.Contains("siblings started before the change", finding.Message, StringComparison.Ordinal);

        // The writer's guard put the shared holder back, so the sibling's guard, disposed after it, has nothing left.
        Assert.Empty(readerGuard!.Findings);
        Assert.Null(Baggage.GetBaggage("stage"));
    });

    [Fact]
    public Task Siblings_with_scopes_of_their_own_are_not_reported() => InOwnFlow(async () =>
    {
        Baggage.SetBaggage("tenant", "acme");
        var guards = new ContextGuard[2];
        await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(async () =>
        {
            guards[i] = ContextGuard.Begin(Quiet());
            using (ContextScope.SetBaggage("stage", "s" + i))
            {
                await Task.Yield();
                Assert.Equal("s" + i, Baggage.GetBaggage("stage"));
            }

            guards[i].Dispose();
        })));
        Assert.All(guards, g => Assert.Empty(g.Findings));
    });

    // ------------------------------------------------------------------ CTX102: activity not stopped

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Activity? StartAndForget() => source.StartActivity("forgotten");

    [Fact]
    public Task An_activity_left_running_is_reported_with_where_it_started() => InOwnFlow(() =>
    {
        var guard = ContextGuard.Begin(Quiet(o => o.Kinds = ContextLeakKind.ActivityNotStopped));
        var forgotten = StartAndForget();
        Assert.NotNull(forgotten); // strict mode samples the flows it watches, even with no SDK listening
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.ActivityNotStopped, "CTX102");
        Assert.Equal("forgotten", finding.ActivityName);
        Assert.Equal(source.Name, finding.SourceName);
        Assert.Contains(nameof(StartAndForget), finding.StackTrace, StringComparison.Ordinal);
        forgotten!.Stop();
        Assert.Single(guard.Findings); // a later stop is not a second finding
    });

    [Fact]
    public Task Activities_stopped_by_using_or_by_awaited_work_are_not_reported() => InOwnFlow(async () =>
    {
        var guard = ContextGuard.Begin(Quiet());
        using (source.StartActivity("using"))
        {
            await Task.Yield();
        }

        var handedOver = source.StartActivity("awaited");
        await Task.Run(async () =>
        {
            await Task.Yield();
            handedOver?.Stop(); // current in this child flow: it inherited it
        });
        Activity.Current = null;
        guard.Dispose();
        Assert.Empty(guard.Findings);
    });

    [Fact]
    public Task Without_strict_mode_nothing_is_watched_or_sampled() => InOwnFlow(() =>
    {
        Assert.Null(source.StartActivity("unwatched")); // nobody listens: no activity, no cost
        Assert.False(StrictMode.IsEnabled && StrictTracker.Global is { SampleActivities: true });
    });

    // ------------------------------------------------------------------ CTX204: work outlives its span

    [Fact]
    public Task A_child_started_after_its_parent_stopped_is_reported_with_both_stacks() => InOwnFlow(async () =>
    {
        var guard = ContextGuard.Begin(Quiet());
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task late;
        using (source.StartActivity("request"))
        {
            late = Task.Run(async () =>
            {
                await release.Task;
                using var child = source.StartActivity("late-work");
            });
        }

        release.SetResult();
        await late;
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.WorkOutlivesSpan, "CTX204");
        Assert.Equal("late-work", finding.ActivityName);
        Assert.Contains("'request'", finding.Message, StringComparison.Ordinal);
        Assert.NotNull(finding.StackTrace);
        Assert.Contains(nameof(A_child_started_after_its_parent_stopped_is_reported_with_both_stacks), finding.RelatedStackTrace, StringComparison.Ordinal);
    });

    [Fact]
    public Task Awaited_work_and_a_root_started_on_purpose_with_a_link_are_not_reported() => InOwnFlow(async () =>
    {
        var guard = ContextGuard.Begin(Quiet());
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task late;
        using (source.StartActivity("request"))
        {
            await Task.Run(() =>
            {
                using var awaited = source.StartActivity("awaited-work");
            });
            late = Task.Run(async () =>
            {
                await release.Task;
                using var root = RootActivityScope.Start(source, "background", linkToPrevious: true);
                Assert.Null(root.Activity!.Parent);
                Assert.Single(root.Activity.Links);
            });
        }

        release.SetResult();
        await late;
        await DetachedWork.Run(source, "detached", _ => { });
        guard.Dispose();
        Assert.Empty(guard.Findings);
    });

    // ------------------------------------------------------------------ CTX103: ended by a non-owner / out of order

    [Fact]
    public Task An_activity_stopped_by_a_flow_that_did_not_start_it_is_reported() => InOwnFlow(async () =>
    {
        var guard = ContextGuard.Begin(Quiet());
        Activity? started = null;
        await Task.Run(() => started = source.StartActivity("foreign"));
        started!.Stop(); // not current here: the child flow started it
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.StoppedByNonOwner, "CTX103");
        Assert.Equal("foreign", finding.ActivityName);
        Assert.Contains(nameof(An_activity_stopped_by_a_flow_that_did_not_start_it_is_reported), finding.StackTrace, StringComparison.Ordinal);
        Assert.NotNull(finding.RelatedStackTrace);
    });

    [Fact]
    public Task A_non_owner_stop_is_silent_when_switched_off_or_its_source_is_excluded() => InOwnFlow(async () =>
    {
        foreach (var options in new[]
        {
            Quiet(o => o.Kinds = ContextLeakKind.All & ~ContextLeakKind.StoppedByNonOwner),
            Quiet(o => o.ExcludedSources.Add(source.Name)),
            Quiet(o => o.ExcludedSources.Add("StrictModeTests.*")),
        })
        {
            using var listener = Listen(source);
            var guard = ContextGuard.Begin(options);
            Activity? started = null;
            await Task.Run(() => started = source.StartActivity("callback-stopped"));
            started!.Stop();
            guard.Dispose();
            Assert.Empty(guard.Findings);
        }
    });

    [Fact]
    public Task Stopping_a_parent_before_its_current_child_is_reported_as_out_of_order() => InOwnFlow(() =>
    {
        var guard = ContextGuard.Begin(Quiet());
        var parent = source.StartActivity("parent")!;
        var child = source.StartActivity("child")!;
        parent.Stop();
        child.Stop();
        Activity.Current = null;
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.EndedOutOfOrder, "CTX103");
        Assert.Equal("parent", finding.ActivityName);
        Assert.Contains("'child'", finding.Message, StringComparison.Ordinal);
    });

    [Fact]
    public Task Scopes_disposed_out_of_order_are_reported_and_in_order_are_not() => InOwnFlow(() =>
    {
        var guard = ContextGuard.Begin(Quiet());
        using (ContextScope.SetBaggage("a", "1"))
        using (ContextScope.SetBaggage("b", "2"))
        {
        }

        Assert.Empty(guard.Findings);
        var outer = ContextScope.SetBaggage("outer", "o");
        _ = ContextScope.SetBaggage("inner", "i");
        outer.Dispose();
        guard.Dispose();

        var finding = Single(guard, ContextLeakKind.EndedOutOfOrder, "CTX103");
        Assert.Contains("ContextScope (Baggage)", finding.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Scopes_disposed_out_of_order_are_reported_and_in_order_are_not), finding.StackTrace, StringComparison.Ordinal);
    });

    // ------------------------------------------------------------------ the guard

    [Fact]
    public Task The_guard_throws_one_exception_listing_every_finding() => InOwnFlow(() =>
    {
        var guard = ContextGuard.Begin();
        _ = StartAndForget();
        Baggage.SetBaggage("tenant", "acme");

        var exception = Assert.Throws<ContextLeakException>(() => guard.Dispose());

        Assert.Equal(3, exception.Findings.Count); // the activity left running and current, the baggage
        Assert.Contains("CTX102", exception.Message, StringComparison.Ordinal);
        Assert.Contains("CTX101", exception.Message, StringComparison.Ordinal);
        Assert.Contains("docs/rules/CTX102.md", exception.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(StartAndForget), exception.Message, StringComparison.Ordinal);
        guard.Dispose(); // harmless the second time
        Assert.Null(Activity.Current);
        Assert.Equal(0, Baggage.Current.Count);
    });

    [Fact]
    public Task Guards_in_parallel_flows_see_only_their_own_findings() => InOwnFlow(async () =>
    {
        var leaky = new List<ContextGuard>();
        var clean = new List<ContextGuard>();
        var flows = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var guard = ContextGuard.Begin(Quiet());
            await Task.Yield();
            if (i % 2 == 0)
            {
                _ = source.StartActivity("leak-" + i);
            }
            else
            {
                using var fine = source.StartActivity("fine-" + i);
            }

            await Task.Yield();
            guard.Dispose();
            lock (leaky)
            {
                (i % 2 == 0 ? leaky : clean).Add(guard);
            }
        })).ToArray();
        await Task.WhenAll(flows);

        Assert.All(clean, g => Assert.Empty(g.Findings));
        Assert.All(leaky, g => Assert.Equal(2, g.Findings.Count)); // left running and left current
    });

    [Fact]
    public Task Nested_guards_report_to_the_innermost_and_the_outer_sees_only_its_own() => InOwnFlow(() =>
    {
        var outer = ContextGuard.Begin(Quiet());
        var inner = ContextGuard.Begin(Quiet());
        _ = StartAndForget();
        inner.Dispose();
        outer.Dispose();
        Assert.Equal(2, inner.Findings.Count);
        Assert.Empty(outer.Findings); // the inner guard put the context back
    });

    private static ActivityListener Listen(ActivitySource source)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}

/// <summary>Strict mode for the whole process: one at a time, never beside other tests.</summary>
[Collection(nameof(ContextScopeCollection))]
public sealed class StrictModeProcessTests
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StartAndDrop(ActivitySource source, bool stop) => Task.Run(() =>
    {
        var activity = source.StartActivity(stop ? "stopped" : "dropped");
        if (stop)
        {
            activity?.Stop();
        }
    }).Wait();

    [Fact]
    public void An_activity_collected_without_being_stopped_is_reported_with_where_it_started()
    {
        using var source = new ActivitySource("StrictModeProcessTests." + Guid.NewGuid().ToString("N"));
        var findings = new List<ContextLeakFinding>();
        var options = new StrictModeOptions
        {
            OnFinding = f =>
            {
                if (f.SourceName == source.Name)
                {
                    lock (findings)
                    {
                        findings.Add(f);
                    }
                }
            },
        };
        using (StrictMode.Enable(options))
        {
            Assert.True(StrictMode.IsEnabled);
            Assert.Throws<InvalidOperationException>(() => StrictMode.Enable());
            StartAndDrop(source, stop: false);
            StartAndDrop(source, stop: true);
            for (var i = 0; i < 3 && findings.Count == 0; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        Assert.False(StrictMode.IsEnabled);
        var finding = Assert.Single(findings);
        Assert.Equal(ContextLeakKind.ActivityNotStopped, finding.Kind);
        Assert.Equal("dropped", finding.ActivityName);
        Assert.Contains("collected without being stopped", finding.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(StartAndDrop), finding.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_variable_or_the_switch_turns_it_on_and_nothing_else_does()
    {
        Assert.Null(StrictMode.EnableFromEnvironment(_ => null));
        Assert.Null(StrictMode.EnableFromEnvironment(_ => "0"));
        Assert.False(StrictMode.IsEnabled);

        using (StrictMode.EnableFromEnvironment(name => name == StrictMode.EnvironmentVariable ? "true" : null))
        {
            Assert.True(StrictMode.IsEnabled);
        }

        Assert.False(StrictMode.IsEnabled);
        AppContext.SetSwitch(StrictMode.SwitchName, true);
        try
        {
            using var handle = StrictMode.EnableFromEnvironment(_ => null);
            Assert.NotNull(handle);
            Assert.True(StrictMode.IsEnabled);
        }
        finally
        {
            AppContext.SetSwitch(StrictMode.SwitchName, false);
        }

        Assert.False(StrictMode.IsEnabled);
    }

    [Fact]
    public void Findings_go_to_the_event_source_and_the_meter()
    {
        using var source = new ActivitySource("StrictModeProcessTests." + Guid.NewGuid().ToString("N"));
        using var events = new RuntimeEvents();
        var measured = new List<(long Value, string? Rule)>();
        using var meterListener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == StrictMode.FindingsCounterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meterListener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "rule")
                {
                    lock (measured)
                    {
                        measured.Add((value, tag.Value as string));
                    }
                }
            }
        });
        meterListener.Start();

        var guard = ContextGuard.Begin(new StrictModeOptions { ThrowFromGuard = false });
        _ = source.StartActivity("leaked");
        guard.Dispose();
        Activity.Current = null;

        Assert.Equal(2, guard.Findings.Count);
        var written = events.Named("StrictFinding");
        Assert.Equal(2, written.Count);
        Assert.Contains(written, e => Equals(e.Payload![0], "CTX102") && ((string)e.Payload[3]!).EndsWith("CTX102.md", StringComparison.Ordinal));
        Assert.Contains(measured, m => m.Rule == "CTX102" && m.Value == 1);
        Assert.Contains(measured, m => m.Rule == "CTX101");
    }
}

/// <summary>
/// The xunit pattern of docs/strict-mode.md: the constructor begins the guard, Dispose ends it. This proves that xunit
/// runs the test method in the flow of the constructor (else the guard would not see the test's activity).
/// </summary>
public sealed class StrictModeXunitPatternTests : IDisposable
{
    private static readonly ActivitySource Source = new("StrictModeXunitPatternTests");
    private readonly ContextGuard guard = ContextGuard.Begin(new StrictModeOptions { ThrowFromGuard = false });

    public void Dispose()
    {
        guard.Dispose();
        var finding = Assert.Single(guard.Findings, f => f.Kind == ContextLeakKind.ActivityNotStopped);
        Assert.Equal("left-running-by-the-test", finding.ActivityName);
        Assert.Null(Activity.Current); // put back for whatever xunit runs next in this flow
    }

    [Fact]
    public async Task A_leak_in_the_test_method_is_seen_by_the_guard_of_the_constructor()
    {
        await Task.Yield();
        Assert.NotNull(Source.StartActivity("left-running-by-the-test"));
    }
}
