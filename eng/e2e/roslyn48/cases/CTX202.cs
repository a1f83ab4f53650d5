using System.Threading;

public static class Ticker
{
    private static Timer? timer;

    public static void Start(TimerCallback onTick)
    {
        ExecutionContext.SuppressFlow();
        timer = new Timer(onTick, null, 1000, 1000);
        ExecutionContext.RestoreFlow();
    }
}
