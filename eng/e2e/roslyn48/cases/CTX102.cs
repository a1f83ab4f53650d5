using System.Diagnostics;

public static class Orders
{
    private static readonly ActivitySource Source = new("Orders");

    public static void Checkout(int amount)
    {
        var activity = Source.StartActivity("checkout");
        Charge(amount);
        activity?.Stop();
    }

    private static void Charge(int amount)
    {
    }
}
