using System;
using System.Diagnostics;

public static class Holder
{
    [ThreadStatic]
    private static Activity? current;

    public static void Remember(Activity activity) => current = activity;

    public static Activity? Recall() => current;
}
