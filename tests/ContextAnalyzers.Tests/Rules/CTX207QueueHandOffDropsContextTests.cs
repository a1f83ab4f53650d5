using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX207QueueHandOffDropsContextAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX207QueueHandOffDropsContextTests
{
    private static string Code(string members) => $$"""
        using System;
        using System.Collections.Concurrent;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Channels;
        using System.Threading.Tasks;
        using ContextAnalyzers.Runtime;
        using OpenTelemetry.Context.Propagation;

        record Order(int Id);
        record TracedOrder(int Id, ActivityContext Parent);

        class C
        {
            static readonly ActivitySource Source = new("S");
            readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();
            readonly Channel<ContextEnvelope<Order>> enveloped = Channel.CreateUnbounded<ContextEnvelope<Order>>();
            readonly Channel<TracedOrder> traced = Channel.CreateUnbounded<TracedOrder>();
            readonly Channel<PropagationContext> contexts = Channel.CreateUnbounded<PropagationContext>();
            readonly BlockingCollection<Order> blocking = new();
            readonly ConcurrentQueue<Order> queue = new();
            static void Process(Order o) { }
        {{members}}
        }
        """;

    [Theory]
    [InlineData("void M(Order o) { using var a = Source.StartActivity(\"accept\"); [|orders.Writer.TryWrite|](o); }")]
    [InlineData("async Task M(Order o) { using var a = Source.StartActivity(\"accept\"); await [|orders.Writer.WriteAsync|](o); }")]
    [InlineData("void M(Order o) { using var a = Source.StartActivity(\"accept\"); [|blocking.Add|](o); }")]
    [InlineData("void M(Order o) { using var a = Source.StartActivity(\"accept\"); [|queue.Enqueue|](o); }")]
    // Consumers that start activities with no parent and no links.
    [InlineData("async Task M(CancellationToken ct) { await foreach (var o in orders.Reader.ReadAllAsync(ct)) { using var a = [|Source.StartActivity|](\"process\"); Process(o); } }")]
    [InlineData("void M() { foreach (var o in blocking.GetConsumingEnumerable()) { using var a = [|Source.StartActivity|](\"process\", ActivityKind.Consumer); Process(o); } }")]
    [InlineData("void M() { while (queue.TryDequeue(out var o)) { using var a = [|Source.StartActivity|](\"process\"); Process(o); } }")]
    public async Task Flags_hand_offs_without_context(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Theory]
    // No live activity: nothing to continue.
    [InlineData("void M(Order o) { orders.Writer.TryWrite(o); queue.Enqueue(o); }")]
    // Items that carry their context.
    [InlineData("void M(Order o) { using var a = Source.StartActivity(\"accept\"); enveloped.Writer.TryWrite(ContextEnvelope.Create(o)); }")]
    [InlineData("void M(Order o) { using var a = Source.StartActivity(\"accept\"); traced.Writer.TryWrite(new TracedOrder(o.Id, a?.Context ?? default)); }")]
    [InlineData("void M() { using var a = Source.StartActivity(\"accept\"); contexts.Writer.TryWrite(new PropagationContext(a?.Context ?? default, default)); }")]
    // Consumers that restore the producer's context, parent on it, or link to it.
    [InlineData("async Task M() { await foreach (var e in enveloped.Reader.ReadAllAsync()) { using var scope = e.Open(Source, \"process\"); Process(e.Item); } }")]
    [InlineData("async Task M() { await foreach (var t in traced.Reader.ReadAllAsync()) { using var a = Source.StartActivity(\"process\", ActivityKind.Consumer, t.Parent); } }")]
    [InlineData("async Task M(ActivityContext p) { await foreach (var o in orders.Reader.ReadAllAsync()) { using var a = Source.StartActivity(\"process\", ActivityKind.Consumer, p); Process(o); } }")]
    [InlineData("async Task M(ActivityLink[] links) { await foreach (var o in orders.Reader.ReadAllAsync()) { using var a = Source.StartActivity(\"process\", ActivityKind.Consumer, default(ActivityContext), links: links); Process(o); } }")]
    // An activity outside any consumer loop.
    [InlineData("void M() { using var a = Source.StartActivity(\"startup\"); }")]
    public async Task Silent(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Fact]
    public async Task Message_names_the_item_and_the_activity()
    {
        await Verify.VerifyAnalyzerAsync(
            Code("void M(Order o) { using var accept = Source.StartActivity(\"accept\"); {|#0:queue.Enqueue|}(o); {|#1:orders.Writer.TryWrite|}(o); }"),
            Verify.Diagnostic("CTX207").WithLocation(0).WithMessage("'Order' items pass through this ConcurrentQueue without the producer's context: the activity that processes them has no parent and no link to the producer's span; enqueue a ContextEnvelope<Order> or carry the ActivityContext"),
            Verify.Diagnostic("CTX207").WithLocation(1).WithMessage("'Order' items pass through this channel without the producer's context: the activity that processes them has no parent and no link to the producer's span; enqueue a ContextEnvelope<Order> or carry the ActivityContext"));
    }

    [Fact]
    public async Task Without_diagnostic_source_registers_nothing()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = """
            using System.Collections.Concurrent;
            class C { void M(ConcurrentQueue<int> q) { q.Enqueue(1); } }
            """;
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s, System.Collections.Concurrent.ConcurrentQueue<int> q) { using var a = s.StartActivity(\"x\"); q.Enqueue( } }")]
    [InlineData("class C { async System.Threading.Tasks.Task M(System.Diagnostics.ActivitySource s, System.Threading.Channels.Channel<int> c) { await foreach (var x in c.Reader.ReadAllAsync()) { s.StartActivity( } } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
