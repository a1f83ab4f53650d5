using OpenTelemetry;

public static class Users
{
    public static void Handle(string email)
    {
        using var scope = ContextAnalyzers.Runtime.ContextScope.SetBaggage("user", email);
    }
}
