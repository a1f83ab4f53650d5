using Microsoft.Extensions.Logging;

public sealed class Orders
{
    private readonly ILogger logger;

    public Orders(ILogger logger) => this.logger = logger;

    public void Handle(string orderId)
    {
        logger.BeginScope("order {OrderId}", orderId);
        logger.LogInformation("handling");
    }
}
