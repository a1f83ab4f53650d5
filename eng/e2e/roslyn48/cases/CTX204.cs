using System.Diagnostics;
using System.Threading.Tasks;

public static class Receipts
{
    private static readonly ActivitySource Source = new("Receipts");

    public static void Accept(int order)
    {
        using var activity = Source.StartActivity("accept");
        _ = SendReceiptAsync(order);
    }

    private static async Task SendReceiptAsync(int order)
    {
        await Task.Delay(order);
    }
}
