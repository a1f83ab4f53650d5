using System.Diagnostics;
using System.Threading;

public static class Cache
{
    private static readonly ActivitySource Source = new("Cache");
    private static Timer? cacheTimer;

    public static void Handle()
    {
        using var activity = Source.StartActivity("request");
        cacheTimer ??= new Timer(_ => Refresh(), null, 0, 60_000);
    }

    private static void Refresh()
    {
    }
}
