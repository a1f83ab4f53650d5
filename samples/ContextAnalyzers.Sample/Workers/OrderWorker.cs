using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using OpenTelemetry;

namespace Shop.Workers;

/// <summary>An order intake with a background consumer: the hops where context is lost, frozen or leaked.</summary>
public sealed class OrderWorker : IDisposable
{
    private static readonly ActivitySource Source = Program.Source;

    private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();
    private readonly ConcurrentQueue<Order> retries = new();
    private Task? consumer;
    private Timer? heartbeat;

    public record Order(int Id, string Customer);

    // CTX204: the consumer loop is started inside the startup span and stored in a field: every iteration runs
    // with the (stopped) startup span as Activity.Current.
    public void Start(CancellationToken cancellationToken)
    {
        using var startup = Source.StartActivity("order-worker.start");
        consumer = Task.Run(() => ConsumeAsync(cancellationToken));

        // CTX205: created inside the startup span: every heartbeat joins the startup trace forever.
        heartbeat = new Timer(_ => Beat(), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
    }

    public void Accept(Order order)
    {
        using var activity = Source.StartActivity("order.accept");
        Baggage.SetBaggage("customer", order.Customer);

        // CTX207: the order carries no context: the consumer cannot continue 'order.accept'.
        orders.Writer.TryWrite(order);

        // CTX204: the receipt is sent after 'order.accept' ended, parented on it.
        _ = SendReceiptAsync(order);
    }

    public void Retry(Order order, Action<Order> onRetried)
    {
        retries.Enqueue(order);

        // CTX201: the caller's callback runs without Activity.Current or baggage.
        ThreadPool.UnsafeQueueUserWorkItem(_ => onRetried(order), null);
    }

    public void Dispose()
    {
        heartbeat?.Dispose();
    }

    private async Task ConsumeAsync(CancellationToken cancellationToken)
    {
        await foreach (var order in orders.Reader.ReadAllAsync(cancellationToken))
        {
            // CTX207: no parent and no link to the span that accepted the order.
            using var activity = Source.StartActivity("order.process", ActivityKind.Consumer);
            await ProcessAsync(order, cancellationToken);
        }
    }

    private static async Task ProcessAsync(Order order, CancellationToken cancellationToken)
    {
        await Task.Delay(10, cancellationToken);

        // CTX206: the last thing this async method does: the caller never sees it.
        Baggage.SetBaggage("order.status", "processed");
    }

    private static Task SendReceiptAsync(Order order) => Task.Delay(order.Id);

    private static void Beat()
    {
    }
}
