using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using OpenTelemetry;
using OpenTelemetry.Context;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>The runtime facts CTX401–CTX407 and the carrier helpers stand on, proved on the real assemblies.</summary>
[Collection(nameof(ContextScopeCollection))]
public class FactsTests_Propagation
{
    internal const string TraceParentA = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    internal const string TraceParentB = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    internal static readonly ActivitySource Source = new("ContextAnalyzers.Tests.Propagation");

    private static readonly ActivityListener Listener = CreateListener();

    internal static TextMapPropagator W3C { get; } = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });

    internal static IEnumerable<string>? Get(Dictionary<string, string> carrier, string key) => carrier.TryGetValue(key, out var v) ? new[] { v } : null;

    internal static Task InOwnFlow(Func<Task> body) => Task.Run(async () =>
    {
        GC.KeepAlive(Listener);
        _ = Baggage.Current;
        RuntimeContext.SetValue("otel.baggage", null);
        Activity.Current = null;
        await body();
    });

    private static ActivityListener CreateListener()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "ContextAnalyzers.Tests.Propagation",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [Fact]
    public Task CTX403_TraceContext_Extract_returns_a_valid_input_unchanged_without_reading_the_carrier() => InOwnFlow(() =>
    {
        var input = new PropagationContext(ActivityContext.Parse(TraceParentA, null), default);
        var carrier = new Dictionary<string, string> { ["traceparent"] = TraceParentB };

        var ignored = new TraceContextPropagator().Extract(input, carrier, Get);
        var read = new TraceContextPropagator().Extract(default, carrier, Get);

        Assert.Equal(input, ignored);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", ignored.ActivityContext.TraceId.ToHexString());
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", read.ActivityContext.TraceId.ToHexString());
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX403_Baggage_Extract_returns_an_input_with_baggage_unchanged() => InOwnFlow(() =>
    {
        var input = new PropagationContext(default, Baggage.Create(new Dictionary<string, string> { ["tenant"] = "local" }));
        var carrier = new Dictionary<string, string> { ["baggage"] = "tenant=remote" };

        Assert.Equal("local", new BaggagePropagator().Extract(input, carrier, Get).Baggage.GetBaggage("tenant"));
        Assert.Equal("remote", new BaggagePropagator().Extract(default, carrier, Get).Baggage.GetBaggage("tenant"));
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX406_StartActivity_with_a_default_parent_uses_Activity_Current() => InOwnFlow(() =>
    {
        using var outer = Source.StartActivity("outer")!;
        using var child = Source.StartActivity("child", ActivityKind.Internal, parentContext: default)!;

        Assert.Equal(outer.SpanId, child.ParentSpanId);
        Assert.Equal(outer.TraceId, child.TraceId);
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX406_A_root_stopped_on_its_own_leaves_Activity_Current_empty() => InOwnFlow(() =>
    {
        // Why RootActivityScope restores on dispose: Stop() puts back the activity current at the start (none for a root).
        var outer = Source.StartActivity("outer")!;
        Activity.Current = null;
        var root = Source.StartActivity("root", ActivityKind.Internal, default(ActivityContext))!;
        Activity.Current = outer;

        root.Stop();

        Assert.Null(Activity.Current);
        outer.Stop();
        return Task.CompletedTask;
    });

    [Fact]
    public Task CTX407_Inject_writes_no_traceparent_for_a_default_ActivityContext() => InOwnFlow(() =>
    {
        using var activity = Source.StartActivity("publish")!;
        var empty = new Dictionary<string, string>();
        var current = new Dictionary<string, string>();

        W3C.Inject(new PropagationContext(default, Baggage.Create(new Dictionary<string, string> { ["k"] = "v" })), empty, (c, k, v) => c[k] = v);
        W3C.Inject(new PropagationContext(activity.Context, default), current, (c, k, v) => c[k] = v);

        Assert.False(empty.ContainsKey("traceparent"));
        Assert.Equal("k=v", empty["baggage"]);
        Assert.Equal(activity.Id, current["traceparent"]);
        return Task.CompletedTask;
    });

    [Fact]
    public void CTX405_DefaultTextMapPropagator_is_a_no_op_until_the_Sdk_type_initialises()
    {
        // A fresh load of OpenTelemetry in its own load context: this process may have initialised the Sdk already.
        var context = new FreshOpenTelemetry();
        try
        {
            var api = context.LoadFromAssemblyName(new AssemblyName("OpenTelemetry.Api"));
            var sdk = context.LoadFromAssemblyName(new AssemblyName("OpenTelemetry"));
            var propagators = api.GetType("OpenTelemetry.Context.Propagation.Propagators", throwOnError: true)!;
            var property = propagators.GetProperty("DefaultTextMapPropagator", BindingFlags.Public | BindingFlags.Static)!;

            var before = property.GetValue(null)!;
            Assert.Equal("NoopTextMapPropagator", before.GetType().Name);

            RuntimeHelpers.RunClassConstructor(sdk.GetType("OpenTelemetry.Sdk", throwOnError: true)!.TypeHandle);

            var after = property.GetValue(null)!;
            Assert.Equal("CompositeTextMapPropagator", after.GetType().Name);
            Assert.NotSame(before, after);
        }
        finally
        {
            context.Unload();
        }
    }

    private sealed class FreshOpenTelemetry : AssemblyLoadContext
    {
        public FreshOpenTelemetry()
            : base("fresh-opentelemetry", isCollectible: true)
        {
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name is not null && assemblyName.Name.StartsWith("OpenTelemetry", StringComparison.Ordinal))
            {
                var path = Path.Combine(AppContext.BaseDirectory, assemblyName.Name + ".dll");
                return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
            }

            return null;
        }
    }
}
