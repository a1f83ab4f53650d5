using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.Rules.CTX207QueueHandOffDropsContextAnalyzer, ContextAnalyzers.Rules.CTX207QueueHandOffDropsContextCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX207QueueHandOffDropsContextCodeFixTests
{
    private const string Key = CTX207QueueHandOffDropsContextCodeFix.UseContextEnvelopeKey;

    private const string Usings = """
        using System.Collections.Concurrent;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Channels;
        using System.Threading.Tasks;

        """;

    private const string FixedUsings = """
        using System.Collections.Concurrent;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Channels;
        using System.Threading.Tasks;
        using ContextAnalyzers.Runtime;

        """;

    private const string ChannelWorker = """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                [|orders.Writer.TryWrite|](order);
            }

            public async Task ConsumeAsync(CancellationToken ct)
            {
                await foreach (var order in orders.Reader.ReadAllAsync(ct))
                {
                    using var activity = [|Source.StartActivity|]("process"); // no parent, no link
                    activity?.SetTag("order.id", order.Id);
                    Process(order);
                }
            }

            public void Stop() => orders.Writer.Complete();

            public int Pending => orders.Reader.Count;

            static void Process(Order order) { }
        }
        """;

    private const string ChannelWorkerFixed = """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly Channel<ContextEnvelope<Order>> orders = Channel.CreateUnbounded<ContextEnvelope<Order>>();

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                orders.Writer.TryWrite(ContextEnvelope.Create(order));
            }

            public async Task ConsumeAsync(CancellationToken ct)
            {
                await foreach (var envelope in orders.Reader.ReadAllAsync(ct))
                {
                    var order = envelope.Item;
                    using var scope = envelope.Open(Source, "process", ActivityKind.Internal); // no parent, no link
                    var activity = scope.Activity;
                    activity?.SetTag("order.id", order.Id);
                    Process(order);
                }
            }

            public void Stop() => orders.Writer.Complete();

            public int Pending => orders.Reader.Count;

            static void Process(Order order) { }
        }
        """;

    [Fact]
    public Task Channel_producer_and_consumer_in_one_class()
        => Verify.VerifyCodeFixAsync(Usings + ChannelWorker, FixedUsings + ChannelWorkerFixed, Key);

    [Fact]
    public Task An_item_named_with_a_keyword_stays_escaped()
        => Verify.VerifyCodeFixAsync(
            Usings + ChannelWorker.Replace("var order in", "var @event in", StringComparison.Ordinal).Replace("order.Id);\n", "@event.Id);\n", StringComparison.Ordinal).Replace("Process(order);", "Process(@event);", StringComparison.Ordinal),
            FixedUsings + ChannelWorkerFixed.Replace("var order = envelope", "var @event = envelope", StringComparison.Ordinal).Replace("order.Id);\n", "@event.Id);\n", StringComparison.Ordinal).Replace("Process(order);", "Process(@event);", StringComparison.Ordinal),
            Key);

    [Fact]
    public Task A_ContextEnvelope_of_the_user_keeps_the_runtime_names_qualified()
        // `ContextEnvelope.Create(order)` would bind to the user's class: every runtime name is global::, no using.
        => Verify.VerifyCodeFixAsync(
            Usings + ChannelWorker + "\n\nclass ContextEnvelope { }\n",
            Usings + ChannelWorkerFixed.Replace("ContextEnvelope", "global::ContextAnalyzers.Runtime.ContextEnvelope", StringComparison.Ordinal) + "\n\nclass ContextEnvelope { }\n",
            Key);

    [Fact]
    public async Task The_fixed_consumer_continues_the_producers_trace()
    {
        // The code before and after the fix, compiled and run: a producer under an activity, a consumer whose flow did
        // not inherit anything (a background loop started with flow suppressed).
        var (accept, process) = await RunWorkerAsync(Usings + ChannelWorker);
        Assert.NotEqual(accept.TraceId, process.TraceId);

        (accept, process) = await RunWorkerAsync(FixedUsings + ChannelWorkerFixed);
        Assert.Equal(accept.TraceId, process.TraceId);
        Assert.Equal(accept.SpanId, process.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, process.Kind);
        Assert.Equal(1, process.GetTagItem("order.id"));
    }

    private static async Task<(Activity Accept, Activity Process)> RunWorkerAsync(string markup)
    {
        var compilation = CSharpCompilation.Create(
            "CTX207Run" + Guid.NewGuid().ToString("N"),
            new[] { CSharpSyntaxTree.ParseText(Markup.Parse(markup).Text, new CSharpParseOptions(LanguageVersion.Latest)) },
            TestReferences.Get(ReferenceSet.All),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var assembly = Assembly.Load(image.ToArray());
        var workerType = assembly.GetType("Worker")!;
        var orderType = assembly.GetType("Order")!;
        var source = (ActivitySource)workerType.GetField("Source", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var worker = Activator.CreateInstance(workerType)!;
        await Task.Run(() => workerType.GetMethod("Accept")!.Invoke(worker, new[] { Activator.CreateInstance(orderType, 1) }));
        workerType.GetMethod("Stop")!.Invoke(worker, null);
        Task consume;
        using (ExecutionContext.SuppressFlow())
        {
            consume = Task.Run(() => (Task)workerType.GetMethod("ConsumeAsync")!.Invoke(worker, new object[] { CancellationToken.None })!);
        }

        await consume;
        return (stopped.Single(a => a.OperationName == "accept"), stopped.Single(a => a.OperationName == "process"));
    }

    [Fact]
    public Task BlockingCollection_with_an_embedded_body_and_a_using_block() => Verify.VerifyCodeFixAsync(Usings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly BlockingCollection<Order> pending;

            public Worker() => pending = new BlockingCollection<Order>(boundedCapacity: 100);

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                [|pending.Add|](order);
            }

            public void Consume(CancellationToken ct)
            {
                foreach (Order order in pending.GetConsumingEnumerable(ct))
                    using (var activity = [|Source.StartActivity|]("process", ActivityKind.Consumer))
                    {
                        Process(order);
                    }

                pending.CompleteAdding();
            }

            static void Process(Order order) { }
        }
        """, FixedUsings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly BlockingCollection<ContextEnvelope<Order>> pending;

            public Worker() => pending = new BlockingCollection<ContextEnvelope<Order>>(boundedCapacity: 100);

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                pending.Add(ContextEnvelope.Create(order));
            }

            public void Consume(CancellationToken ct)
            {
                foreach (var envelope in pending.GetConsumingEnumerable(ct))
                {
                    Order order = envelope.Item;
                    using (var activity = Source.StartActivity("process", ActivityKind.Consumer, envelope.Context))
                    {
                        Process(order);
                    }
                }

                pending.CompleteAdding();
            }

            static void Process(Order order) { }
        }
        """, Key);

    [Fact]
    public Task ConcurrentQueue_drained_by_TryDequeue() => Verify.VerifyCodeFixAsync(Usings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly ConcurrentQueue<Order> queue = new();

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                [|this.queue.Enqueue|](order);
            }

            public void Drain()
            {
                while (queue.TryDequeue(out var order))
                {
                    using var activity = [|Source.StartActivity|]();
                    Process(order);
                }
            }

            public bool Idle => queue.IsEmpty;

            static void Process(Order order) { }
        }
        """, FixedUsings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly ConcurrentQueue<ContextEnvelope<Order>> queue = new();

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                this.queue.Enqueue(ContextEnvelope.Create(order));
            }

            public void Drain()
            {
                while (queue.TryDequeue(out var envelope))
                {
                    var order = envelope.Item;
                    using var scope = envelope.Open(Source, "Drain", ActivityKind.Internal);
                    Process(order);
                }
            }

            public bool Idle => queue.IsEmpty;

            static void Process(Order order) { }
        }
        """, Key);

    [Fact]
    public Task Local_channel_and_an_item_of_another_type() => Verify.VerifyCodeFixAsync(Usings + """
        record Order(int Id);

        class Batch
        {
            static readonly ActivitySource Source = new("S");

            public async Task RunAsync(Order[] orders)
            {
                var channel = Channel.CreateBounded<object>(10);
                using (var activity = Source.StartActivity("batch"))
                {
                    foreach (var order in orders)
                    {
                        await [|channel.Writer.WriteAsync|](order);
                    }
                }

                channel.Writer.Complete();
                await foreach (var item in channel.Reader.ReadAllAsync())
                {
                    System.Console.WriteLine(item);
                }
            }
        }
        """, FixedUsings + """
        record Order(int Id);

        class Batch
        {
            static readonly ActivitySource Source = new("S");

            public async Task RunAsync(Order[] orders)
            {
                var channel = Channel.CreateBounded<ContextEnvelope<object>>(10);
                using (var activity = Source.StartActivity("batch"))
                {
                    foreach (var order in orders)
                    {
                        await channel.Writer.WriteAsync(ContextEnvelope.Create<object>(order));
                    }
                }

                channel.Writer.Complete();
                await foreach (var envelope in channel.Reader.ReadAllAsync())
                {
                    var item = envelope.Item;
                    System.Console.WriteLine(item);
                }
            }
        }
        """, Key);

    [Fact]
    public Task Channel_read_one_at_a_time_with_ReadAsync() => Verify.VerifyCodeFixAsync(Usings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();

            public async Task AcceptAsync(Order order, CancellationToken ct)
            {
                using var activity = Source.StartActivity("accept");
                await [|orders.Writer.WriteAsync|](order, ct);
            }

            public async Task ConsumeAsync(CancellationToken ct)
            {
                while (await orders.Reader.WaitToReadAsync(ct))
                {
                    Order order = await orders.Reader.ReadAsync(ct).ConfigureAwait(false);
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer);
                    Process(order);
                }
            }

            static void Process(Order order) { }
        }
        """, FixedUsings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly Channel<ContextEnvelope<Order>> orders = Channel.CreateUnbounded<ContextEnvelope<Order>>();

            public async Task AcceptAsync(Order order, CancellationToken ct)
            {
                using var activity = Source.StartActivity("accept");
                await orders.Writer.WriteAsync(ContextEnvelope.Create(order), ct);
            }

            public async Task ConsumeAsync(CancellationToken ct)
            {
                while (await orders.Reader.WaitToReadAsync(ct))
                {
                    var envelope = await orders.Reader.ReadAsync(ct).ConfigureAwait(false);
                    Order order = envelope.Item;
                    using var scope = envelope.Open(Source, "process", ActivityKind.Consumer);
                    Process(order);
                }
            }

            static void Process(Order order) { }
        }
        """, Key);

    [Fact]
    public Task BlockingCollection_Take_in_a_local_function() => Verify.VerifyCodeFixAsync(Usings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");

            public void Run(Order first)
            {
                using var pending = new BlockingCollection<Order>();
                using (Source.StartActivity("accept"))
                {
                    [|pending.Add|](first);
                }

                Handle();

                void Handle()
                {
                    var order = pending.Take();
                    var activity = Source.StartActivity("process");
                    activity?.Stop();
                }
            }
        }
        """, FixedUsings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");

            public void Run(Order first)
            {
                using var pending = new BlockingCollection<ContextEnvelope<Order>>();
                using (Source.StartActivity("accept"))
                {
                    pending.Add(ContextEnvelope.Create(first));
                }

                Handle();

                void Handle()
                {
                    var envelope = pending.Take();
                    var order = envelope.Item;
                    var activity = Source.StartActivity("process", ActivityKind.Internal, envelope.Context);
                    activity?.Stop();
                }
            }
        }
        """, Key);

    private const string WriterReaderPair = """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly ChannelWriter<Order> writer;
            private readonly ChannelReader<Order> reader;

            public Worker()
            {
                var channel = Channel.CreateBounded<Order>(new BoundedChannelOptions(100) { FullMode = BoundedChannelFullMode.Wait });
                writer = channel.Writer;
                reader = channel.Reader;
            }

            public ValueTask AcceptAsync(Order order)
            {
                using var activity = Source.StartActivity("accept");
                return [|writer.WriteAsync|](order);
            }

            public async Task ConsumeAsync()
            {
                while (await reader.WaitToReadAsync())
                {
                    while (reader.TryRead(out var order))
                    {
                        using var activity = [|Source.StartActivity|]("process");
                    }
                }
            }
        """;

    [Fact]
    public Task Writer_and_reader_fields_taken_from_a_local_channel() => Verify.VerifyCodeFixAsync(Usings + WriterReaderPair + "\n}", FixedUsings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly ChannelWriter<ContextEnvelope<Order>> writer;
            private readonly ChannelReader<ContextEnvelope<Order>> reader;

            public Worker()
            {
                var channel = Channel.CreateBounded<ContextEnvelope<Order>>(new BoundedChannelOptions(100) { FullMode = BoundedChannelFullMode.Wait });
                writer = channel.Writer;
                reader = channel.Reader;
            }

            public ValueTask AcceptAsync(Order order)
            {
                using var activity = Source.StartActivity("accept");
                return writer.WriteAsync(ContextEnvelope.Create(order));
            }

            public async Task ConsumeAsync()
            {
                while (await reader.WaitToReadAsync())
                {
                    while (reader.TryRead(out var envelope))
                    {
                        var order = envelope.Item;
                        using var scope = envelope.Open(Source, "process", ActivityKind.Internal);
                    }
                }
            }
        }
        """, Key);

    [Fact]
    public Task Not_offered_when_the_reader_taken_from_the_channel_is_exposed()
        => Verify.VerifyNoCodeFixOfferedAsync(Usings + WriterReaderPair + "\n    public ChannelReader<Order> Reader => reader;\n}", Key);

    [Fact]
    public Task Every_unparented_start_in_the_consumer_continues_the_producer() => Verify.VerifyCodeFixAsync(Usings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            static readonly System.Collections.Generic.KeyValuePair<string, object?>[] Tags = { new("k", "v") };
            private readonly BlockingCollection<Order> pending = new();

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                [|pending.TryAdd|](order, 100);
            }

            public void Consume(ActivityContext other)
            {
                foreach (var order in pending.GetConsumingEnumerable())
                {
                    var first = [|Source.StartActivity|](ActivityKind.Consumer, tags: Tags);
                    first?.Stop();
                    using var second = [|Source.StartActivity|](kind: ActivityKind.Consumer, name: "second");
                    second?.SetTag("id", order.Id);
                    using var third = Source.StartActivity("third", ActivityKind.Client, other);
                    System.Action later = () => Source.StartActivity("later")?.Stop();
                }
            }
        }
        """, FixedUsings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            static readonly System.Collections.Generic.KeyValuePair<string, object?>[] Tags = { new("k", "v") };
            private readonly BlockingCollection<ContextEnvelope<Order>> pending = new();

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                pending.TryAdd(ContextEnvelope.Create(order), 100);
            }

            public void Consume(ActivityContext other)
            {
                foreach (var envelope in pending.GetConsumingEnumerable())
                {
                    var order = envelope.Item;
                    var first = Source.StartActivity(ActivityKind.Consumer, tags: Tags, parentContext: envelope.Context);
                    first?.Stop();
                    using var scope = envelope.Open(Source, "second", ActivityKind.Consumer);
                    var second = scope.Activity;
                    second?.SetTag("id", order.Id);
                    using var third = Source.StartActivity("third", ActivityKind.Client, other);
                    System.Action later = () => Source.StartActivity("later")?.Stop();
                }
            }
        }
        """, Key);

    [Fact]
    public Task Comments_and_layout_are_kept() => Verify.VerifyCodeFixAsync(Usings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");

            // the orders waiting for the worker
            private readonly ConcurrentQueue<Order> queue = new ConcurrentQueue<Order>(); // unbounded

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                // hand it over
                [|queue.Enqueue|](/* the order */ order); // done
            }

            public void Drain()
            {
                // one at a time
                while (queue.TryDequeue(out Order order)) // until empty
                {
                    // process it
                    Process(order);
                }
            }

            static void Process(Order order) { }
        }
        """, FixedUsings + """
        record Order(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");

            // the orders waiting for the worker
            private readonly ConcurrentQueue<ContextEnvelope<Order>> queue = new ConcurrentQueue<ContextEnvelope<Order>>(); // unbounded

            public void Accept(Order order)
            {
                using var activity = Source.StartActivity("accept");
                // hand it over
                queue.Enqueue(/* the order */ ContextEnvelope.Create(order)); // done
            }

            public void Drain()
            {
                // one at a time
                while (queue.TryDequeue(out var envelope)) // until empty
                {
                    Order order = envelope.Item;
                    // process it
                    Process(order);
                }
            }

            static void Process(Order order) { }
        }
        """, Key);

    [Fact]
    public Task Fix_all_rewrites_two_queues_of_one_class() => Verify.VerifyCodeFixAsync(Usings + """
        record Order(int Id);
        record Refund(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();
            private readonly ConcurrentQueue<Refund> refunds = new();

            public async Task AcceptAsync(Order order, Refund refund)
            {
                using var activity = Source.StartActivity("accept");
                await [|orders.Writer.WriteAsync|](order);
                [|refunds.Enqueue|](refund);
            }

            public async Task ConsumeAsync()
            {
                await foreach (var order in orders.Reader.ReadAllAsync())
                {
                    using var activity = [|Source.StartActivity|]("order");
                    while (refunds.TryDequeue(out var refund))
                    {
                        using var inner = [|Source.StartActivity|]("refund");
                    }
                }
            }
        }
        """, FixedUsings + """
        record Order(int Id);
        record Refund(int Id);

        class Worker
        {
            static readonly ActivitySource Source = new("S");
            private readonly Channel<ContextEnvelope<Order>> orders = Channel.CreateUnbounded<ContextEnvelope<Order>>();
            private readonly ConcurrentQueue<ContextEnvelope<Refund>> refunds = new();

            public async Task AcceptAsync(Order order, Refund refund)
            {
                using var activity = Source.StartActivity("accept");
                await orders.Writer.WriteAsync(ContextEnvelope.Create(order));
                refunds.Enqueue(ContextEnvelope.Create(refund));
            }

            public async Task ConsumeAsync()
            {
                await foreach (var envelope in orders.Reader.ReadAllAsync())
                {
                    var order = envelope.Item;
                    using var scope = envelope.Open(Source, "order", ActivityKind.Internal);
                    while (refunds.TryDequeue(out var envelope1))
                    {
                        var refund = envelope1.Item;
                        using var scope1 = envelope1.Open(Source, "refund", ActivityKind.Internal);
                    }
                }
            }
        }
        """, Key);

    [Fact]
    public async Task Partial_class_in_two_files_is_rewritten_in_both()
    {
        var test = Verify.Create();
        test.Sources.Add(Usings + """
            record Order(int Id);

            partial class Worker
            {
                static readonly ActivitySource Source = new("S");
                private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();

                public void Accept(Order order)
                {
                    using var activity = Source.StartActivity("accept");
                    [|orders.Writer.TryWrite|](order);
                }
            }
            """);
        test.Sources.Add(Usings + """
            partial class Worker
            {
                public async Task ConsumeAsync()
                {
                    await foreach (var order in orders.Reader.ReadAllAsync())
                    {
                        using var activity = [|Source.StartActivity|]("process");
                    }
                }
            }
            """);
        test.FixedSources.Add(FixedUsings + """
            record Order(int Id);

            partial class Worker
            {
                static readonly ActivitySource Source = new("S");
                private readonly Channel<ContextEnvelope<Order>> orders = Channel.CreateUnbounded<ContextEnvelope<Order>>();

                public void Accept(Order order)
                {
                    using var activity = Source.StartActivity("accept");
                    orders.Writer.TryWrite(ContextEnvelope.Create(order));
                }
            }
            """);
        test.FixedSources.Add(Usings + """
            partial class Worker
            {
                public async Task ConsumeAsync()
                {
                    await foreach (var envelope in orders.Reader.ReadAllAsync())
                    {
                        var order = envelope.Item;
                        using var scope = envelope.Open(Source, "process", ActivityKind.Internal);
                    }
                }
            }
            """);
        test.CodeActionEquivalenceKey = Key;
        await test.RunAsync();
    }

    [Theory]
    // Part of the type's API: other code depends on the element type.
    [InlineData("public readonly Channel<Order> Orders = Channel.CreateUnbounded<Order>();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|Orders.Writer.TryWrite|](o); }")]
    [InlineData("internal readonly ConcurrentQueue<Order> queue = new();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|queue.Enqueue|](o); }")]
    // A reference that is not a write, a supported consumer loop, or a member without T.
    [InlineData("private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|orders.Writer.TryWrite|](o); } Task Drain() => Drain(orders.Reader); static Task Drain(ChannelReader<Order> r) => Task.CompletedTask;")]
    [InlineData("private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|orders.Writer.TryWrite|](o); } public ChannelReader<Order> Reader => orders.Reader;")]
    [InlineData("private readonly ConcurrentQueue<Order> queue = new();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|queue.Enqueue|](o); } Order[] Snapshot() => queue.ToArray();")]
    [InlineData("private readonly ConcurrentQueue<Order> queue = new();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|queue.Enqueue|](o); } void N() { if (queue.TryDequeue(out var o)) { } }")]
    [InlineData("private readonly ConcurrentQueue<Order> queue = new();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|queue.Enqueue|](o); } void N() { foreach (var o in queue) { } }")]
    [InlineData("private readonly BlockingCollection<Order> pending = new();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|pending.Add|](o); } void N() { Handle(pending.Take()); } static void Handle(Order o) { }")]
    [InlineData("private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|orders.Writer.TryWrite|](o); } void N() { var pending = orders.Reader.ReadAsync(); }")]
    // Half-typed code: a use that does not bind.
    [InlineData("private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|orders.Writer.TryWrite|](o); } void N() { orders.Reader.{|CS1061:Missing|}(); }")]
    // A foreach that casts each item.
    [InlineData("private readonly BlockingCollection<object> pending = new();", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|pending.Add|](o); } void N() { foreach (Order o in pending.GetConsumingEnumerable()) { } }")]
    // A creation whose element type cannot be rewritten alone.
    [InlineData("private readonly BlockingCollection<Order> pending = new(new ConcurrentQueue<Order>());", "void M(Order o) { using var a = Source.StartActivity(\"a\"); [|pending.Add|](o); }")]
    [InlineData("private readonly ConcurrentQueue<Order> queue = Create();", "static ConcurrentQueue<Order> Create() => new(); void M(Order o) { using var a = Source.StartActivity(\"a\"); [|queue.Enqueue|](o); }")]
    public async Task Not_offered_when_a_use_cannot_be_rewritten(string field, string members)
    {
        await Verify.VerifyNoCodeFixOfferedAsync(Usings + $$"""
            record Order(int Id);

            class Worker
            {
                static readonly ActivitySource Source = new("S");
                {{field}}
                {{members}}
            }
            """, Key);
    }

    [Fact]
    public async Task Not_offered_for_a_parameter()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(Usings + """
            record Order(int Id);

            class Worker
            {
                static readonly ActivitySource Source = new("S");
                void M(Order o, ConcurrentQueue<Order> queue) { using var a = Source.StartActivity("a"); [|queue.Enqueue|](o); }
            }
            """, Key);
    }

    [Fact]
    public async Task Not_offered_without_the_runtime()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Usings + """
            record Order(int Id);

            class Worker
            {
                static readonly ActivitySource Source = new("S");
                private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();
                void M(Order o) { using var a = Source.StartActivity("a"); [|orders.Writer.TryWrite|](o); }
            }
            """,
            Key,
            ReferenceSet.AllButRuntime);
    }
}
