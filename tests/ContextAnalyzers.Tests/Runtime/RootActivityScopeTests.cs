using System.Diagnostics;
using ContextAnalyzers.Runtime;
using static ContextAnalyzers.Tests.Runtime.FactsTests_Propagation;

namespace ContextAnalyzers.Tests.Runtime;

[Collection(nameof(ContextScopeCollection))]
public class RootActivityScopeTests
{
    [Fact]
    public Task Root_is_a_new_trace_linked_to_the_previous_and_current_while_open() => InOwnFlow(() =>
    {
        using var request = Source.StartActivity("request")!;

        using (var root = RootActivityScope.Start(Source, "export", ActivityKind.Internal))
        {
            var activity = root.Activity!;
            Assert.Same(activity, Activity.Current);
            Assert.Null(activity.Parent);
            Assert.Equal(default, activity.ParentSpanId);
            Assert.NotEqual(request.TraceId, activity.TraceId);
            var link = Assert.Single(activity.Links);
            Assert.Equal(request.Context, link.Context);

            using var child = Source.StartActivity("child")!;
            Assert.Equal(activity.TraceId, child.TraceId);
        }

        Assert.Same(request, Activity.Current);
        return Task.CompletedTask;
    });

    [Fact]
    public Task Root_without_link_keeps_the_given_links_and_tags() => InOwnFlow(() =>
    {
        using var request = Source.StartActivity("request")!;
        var other = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        using (var root = RootActivityScope.Start(Source, "export", ActivityKind.Consumer, linkToPrevious: false, tags: new[] { new KeyValuePair<string, object?>("batch", 7) }, links: new[] { new ActivityLink(other) }))
        {
            Assert.Equal(other, Assert.Single(root.Activity!.Links).Context);
            Assert.Equal(7, root.Activity.GetTagItem("batch"));
            Assert.Equal(ActivityKind.Consumer, root.Activity.Kind);
        }

        Assert.Same(request, Activity.Current);
        return Task.CompletedTask;
    });

    [Fact]
    public Task Unsampled_root_leaves_the_current_activity_alone() => InOwnFlow(() =>
    {
        using var request = Source.StartActivity("request")!;
        using var unsampled = new ActivitySource("ContextAnalyzers.Tests.NobodyListens");

        using (var root = RootActivityScope.Start(unsampled, "export"))
        {
            Assert.Null(root.Activity);
        }

        Assert.Same(request, Activity.Current);
        default(RootActivityScope).Dispose();
        Assert.Throws<ArgumentNullException>(() => RootActivityScope.Start(null!, "x"));
        return Task.CompletedTask;
    });

    [Fact]
    public async Task Concurrent_roots_restore_their_own_previous_activity()
    {
        await InOwnFlow(async () =>
        {
            var failures = 0;
            await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
            {
                using var request = Source.StartActivity("request " + i)!;
                using (var root = RootActivityScope.Start(Source, "export " + i))
                {
                    await Task.Yield();
                    if (Activity.Current != root.Activity || root.Activity!.TraceId == request.TraceId || root.Activity.Links.Single().Context != request.Context)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }

                if (Activity.Current != request)
                {
                    Interlocked.Increment(ref failures);
                }
            })));

            Assert.Equal(0, failures);
        });
    }
}
