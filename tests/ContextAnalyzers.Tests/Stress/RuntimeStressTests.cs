using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using Xunit.Abstractions;

namespace ContextAnalyzers.Tests.Stress;

/// <summary>
/// Runtime under load: 100,000 concurrent flows through <see cref="ContextScope"/>, <see cref="ContextSnapshot"/>,
/// <see cref="DetachedWork"/>, <see cref="ContextEnvelope"/> and the carrier helpers (<see cref="ConsumerScope"/>), with random
/// exceptions, cancellations and yields. Every flow checks, at every step, that it sees only its own baggage and span;
/// every scope is checked restored when it closes; every enqueued item is processed exactly once under the context of the
/// flow that enqueued it; no task exception goes unobserved. Deterministic per flow (seeded by the flow's number); the
/// interleaving is whatever the thread pool makes of it.
/// </summary>
public sealed class RuntimeStressTests
{
    private const int Flows = 100_000;
    private const string SourceName = "ContextAnalyzers.Stress";
    private const string Marker = "stress-flow-failure";
    private static readonly ActivitySource Source = new(SourceName);
    private static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });

    private readonly ITestOutputHelper output;
    private readonly ConcurrentQueue<string> violations = new();
    private long checks;

    public RuntimeStressTests(ITestOutputHelper output) => this.output = output;

    [Fact]
    public async Task Hundred_thousand_concurrent_flows_each_see_only_their_own_context()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        var unobserved = 0;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.Flatten().InnerExceptions.Any(x => x.Message.Contains(Marker, StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref unobserved);
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            // The flows start from an empty context: no current activity, no baggage.
            Activity.Current = null;
            using var empty = ContextScope.Use(default);

            var queue = Channel.CreateUnbounded<ContextEnvelope<Item>>();
            var processed = new int[Flows];
            var enqueued = new int[Flows];
            var consumers = Enumerable.Range(0, Environment.ProcessorCount + 2).Select(_ => Task.Run(() => ConsumeAsync(queue.Reader, processed))).ToArray();

            var thrown = 0;
            var detachedThrows = 0;
            var watch = Stopwatch.StartNew();
            var flows = new Task[Flows];
            for (var i = 0; i < Flows; i++)
            {
                var id = i;
                flows[i] = Task.Run(async () =>
                {
                    var (threw, detachedThrew, queued) = await FlowAsync(id, queue.Writer);
                    if (threw)
                    {
                        Interlocked.Increment(ref thrown);
                    }

                    Interlocked.Add(ref detachedThrows, detachedThrew);

                    enqueued[id] = queued;
                });
            }

            await Task.WhenAll(flows);
            queue.Writer.Complete();
            await Task.WhenAll(consumers);

            var notOnce = Enumerable.Range(0, Flows).Where(i => processed[i] != enqueued[i]).Take(5).ToList();
            Assert.True(notOnce.Count == 0, "items not processed exactly once (each enqueued item once): " + string.Join(", ", notOnce.Select(i => $"#{i} enqueued {enqueued[i]}, processed {processed[i]}")));
            Assert.True(enqueued.Count(e => e > 0) > Flows / 10, "too few items went through the envelope queue");

            // Unobserved task exceptions surface when the faulted tasks are finalized.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.Equal(0, Volatile.Read(ref unobserved));
            Assert.Equal(detachedThrows, Volatile.Read(ref detachedFailures));
            Assert.True(violations.IsEmpty, $"{violations.Count} isolation violation(s); first ones:\n" + string.Join("\n", violations.Take(10)));
            Assert.True(thrown > Flows / 20 && detachedThrows > 0, $"the random exceptions did not happen ({thrown} flows threw, {detachedThrows} detached works threw)");

            // The test's own context is untouched.
            Assert.Null(Activity.Current);
            Assert.Empty(Baggage.Current.GetBaggage());
            output.WriteLine($"{Flows} flows, {Interlocked.Read(ref checks)} checks, {thrown} with exceptions, {detachedThrows} detached failures reported, {enqueued.Sum()} items through the queue, {watch.Elapsed.TotalSeconds:0.0}s");
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    private async Task<(bool Threw, int DetachedThrew, int Queued)> FlowAsync(int id, ChannelWriter<ContextEnvelope<Item>> queue)
    {
        var rng = new Random(id);
        var me = "f" + id;
        Check(id, "start", Activity.Current is null && Baggage.Current.Count == 0);
        var threw = false;
        var detachedThrew = 0;
        var queued = 0;
        using var cancellation = new CancellationTokenSource();
        if (rng.Next(8) == 0)
        {
            cancellation.CancelAfter(rng.Next(3));
        }

        using (var root = Source.StartActivity("stress-flow", ActivityKind.Internal))
        {
            Check(id, "root started", root is not null && root.Parent is null && Activity.Current == root);
            using (ContextScope.SetBaggage("flow", me))
            {
                Check(id, "baggage set", Own(me));
                await Task.Yield();
                Check(id, "after yield", Own(me) && Activity.Current == root);

                var steps = 1 + rng.Next(3);
                for (var s = 0; s < steps; s++)
                {
                    try
                    {
                        switch (rng.Next(5))
                        {
                            case 0:
                                await NestedScopesAsync(id, me, root!, rng, cancellation.Token);
                                break;
                            case 1:
                                await SnapshotAsync(id, me, root!, rng);
                                break;
                            case 2:
                                detachedThrew += await DetachedAsync(id, me, root!, rng, cancellation.Token) ? 1 : 0;
                                break;
                            case 3:
                                await queue.WriteAsync(ContextEnvelope.Create(new Item(id, root!.TraceId, rng.Next(4) == 0)), CancellationToken.None);
                                queued++;
                                break;
                            default:
                                CarrierRoundTrip(id, me, root!, rng);
                                break;
                        }
                    }
                    catch (InvalidOperationException ex) when (ex.Message.Contains(Marker, StringComparison.Ordinal))
                    {
                        threw = true;
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    // Whatever happened inside (exception, cancellation), the flow's own scope is current again.
                    Check(id, "after step", Own(me) && Baggage.GetBaggage("step") is null && Activity.Current == root);
                }
            }

            Check(id, "baggage scope restored", Baggage.Current.Count == 0 && Activity.Current == root);
        }

        Check(id, "end", Activity.Current is null && Baggage.Current.Count == 0);
        return (threw, detachedThrew, queued);
    }

    private async Task NestedScopesAsync(int id, string me, Activity root, Random rng, CancellationToken cancellationToken)
    {
        using var child = Source.StartActivity("stress-child");
        using (ContextScope.SetBaggage("step", "nested-" + id))
        {
            Check(id, "nested baggage", Own(me) && Baggage.GetBaggage("step") == "nested-" + id && Activity.Current == child);
            using (ContextScope.Activate(root))
            {
                Check(id, "activated root", Activity.Current == root);
                await Task.Delay(rng.Next(2), cancellationToken);
                Check(id, "activated root after delay", Activity.Current == root && Own(me));
            }

            Check(id, "activate restored", Activity.Current == child);
            if (rng.Next(6) == 0)
            {
                throw new InvalidOperationException(Marker + " in nested scope " + id);
            }

            await Task.Run(() => Check(id, "Task.Run inside scope", Own(me) && Baggage.GetBaggage("step") == "nested-" + id && Activity.Current == child), cancellationToken);
        }

        Check(id, "nested restored", Own(me) && Baggage.GetBaggage("step") is null && Activity.Current == child);
    }

    private async Task SnapshotAsync(int id, string me, Activity root, Random rng)
    {
        var snapshot = ContextSnapshot.Capture();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fail = rng.Next(6) == 0;

        // UnsafeQueueUserWorkItem does not flow the ExecutionContext: only the snapshot brings the flow's context.
        ThreadPool.UnsafeQueueUserWorkItem(
            snapshot.Wrap(_ =>
            {
                try
                {
                    Check(id, "snapshot callback", Own(me) && Activity.Current == root);
                    using (ContextScope.SetBaggage("step", "snap"))
                    {
                        if (fail)
                        {
                            throw new InvalidOperationException(Marker + " in snapshot " + id);
                        }
                    }

                    done.SetResult();
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            }),
            null);
        try
        {
            await done.Task;
        }
        finally
        {
            // Whatever ran inside the snapshot did not leak into this flow.
            Check(id, "after snapshot", Own(me) && Baggage.GetBaggage("step") is null && Activity.Current == root);
        }

        var value = snapshot.Run(() => Baggage.GetBaggage("flow"));
        Check(id, "snapshot run", value == me && Own(me));
    }

    private int detachedFailures;

    private DetachedWorkOptions DetachedOptions() => new()
    {
        OnFailed = e =>
        {
            if (e.ActivityName == "stress-detached" && e.Exception.Message.Contains(Marker, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref detachedFailures);
            }
        },
    };

    private async Task<bool> DetachedAsync(int id, string me, Activity root, Random rng, CancellationToken cancellationToken)
    {
        var fail = rng.Next(5) == 0;
        var ran = false;
        var detachedOptions = DetachedOptions();
        var task = DetachedWork.Run(
            Source,
            "stress-detached",
            async ct =>
            {
                ran = true;
                var current = Activity.Current;
                Check(id, "detached context", Baggage.GetBaggage("flow") == me && current is not null && current != root && current.Parent is null
                    && current.Links.Any(l => l.Context.TraceId == root.TraceId));
                using (ContextScope.SetBaggage("step", "detached"))
                {
                    await Task.Yield();
                    if (fail)
                    {
                        throw new InvalidOperationException(Marker + " in detached work " + id);
                    }
                }
            },
            detachedOptions,
            cancellationToken);
        await task; // never faults, by contract: a fault here fails the flow and the test
        Check(id, "after detached", Own(me) && Baggage.GetBaggage("step") is null && Activity.Current == root);
        return fail && ran;
    }

    private void CarrierRoundTrip(int id, string me, Activity root, Random rng)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Propagator.InjectCurrent(headers);
        using (var consumer = ConsumerScope.Start(Source, "stress-consume", Propagator, headers))
        {
            Check(id, "consumer scope", Own(me) && consumer.Activity is not null && consumer.Activity.ParentSpanId == root.SpanId && consumer.Activity.TraceId == root.TraceId);
            if (rng.Next(6) == 0)
            {
                throw new InvalidOperationException(Marker + " in consumer " + id);
            }
        }
    }

    private async Task ConsumeAsync(ChannelReader<ContextEnvelope<Item>> reader, int[] processed)
    {
        await foreach (var envelope in reader.ReadAllAsync())
        {
            var item = envelope.Item;
            try
            {
                using (var scope = envelope.Open(Source, "stress-item", ActivityKind.Consumer, link: item.Link))
                {
                    var activity = scope.Activity;
                    var parentOk = item.Link
                        ? activity is not null && activity.Parent is null && activity.Links.Any(l => l.Context.TraceId == item.Trace)
                        : activity is not null && activity.TraceId == item.Trace;
                    Check(item.Flow, "envelope processing", Baggage.GetBaggage("flow") == "f" + item.Flow && parentOk && Activity.Current == activity);
                    Interlocked.Increment(ref processed[item.Flow]);
                    if (item.Flow % 7 == 0)
                    {
                        throw new InvalidOperationException(Marker + " while processing " + item.Flow);
                    }
                }
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains(Marker, StringComparison.Ordinal))
            {
            }

            // The consumer's own (empty) context is back after every item, exception or not.
            Check(item.Flow, "consumer restored", Activity.Current is null && Baggage.Current.Count == 0);
        }
    }

    private static bool Own(string me) => Baggage.GetBaggage("flow") == me;

    private void Check(int flow, string where, bool ok)
    {
        Interlocked.Increment(ref checks);
        if (!ok && violations.Count < 100)
        {
            violations.Enqueue($"flow {flow} at '{where}': Activity.Current={Activity.Current?.DisplayName ?? "null"} ({Activity.Current?.TraceId}), baggage=[{string.Join(", ", Baggage.Current.GetBaggage().Select(kv => kv.Key + "=" + kv.Value))}]");
        }
    }

    private sealed record Item(int Flow, ActivityTraceId Trace, bool Link);
}
