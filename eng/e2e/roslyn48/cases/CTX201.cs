using System;
using System.Diagnostics;
using System.Threading;

public static class Logger
{
    public static void Log()
    {
        ThreadPool.UnsafeQueueUserWorkItem(_ => Console.WriteLine(Activity.Current?.TraceId), null);
    }
}
