using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

public sealed class Order
{
    public int Id { get; set; }
}

public sealed class OrderPipeline
{
    private static readonly ActivitySource Source = new("Orders");
    private readonly Channel<Order> orders = Channel.CreateUnbounded<Order>();

    public void Accept(Order order)
    {
        using var activity = Source.StartActivity("accept");
        orders.Writer.TryWrite(order);
    }

    public async Task ConsumeAsync(CancellationToken ct)
    {
        await foreach (var order in orders.Reader.ReadAllAsync(ct))
        {
            using var activity = Source.StartActivity("process");
            await Task.Delay(order.Id, ct);
        }
    }
}
