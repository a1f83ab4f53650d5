namespace Shop.Team;

/// <summary>A tenant of the shop.</summary>
public sealed record Tenant(string Id);

/// <summary>
/// The team's own ambient context: the tenant of the current request, in an AsyncLocal like Activity.Current. The
/// analyzers find it themselves (a static AsyncLocal&lt;T&gt; field and the property that wraps it) and give it the same
/// checks: set and not restored (CTX101), set where the change is lost (CTX206), kept in thread-local storage (CTX203).
/// </summary>
public static class TenantContext
{
    private static readonly AsyncLocal<Tenant?> s_current = new();

    public static Tenant? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }
}

/// <summary>Makes a tenant current until disposed: the constructor sets it, Dispose puts the previous one back.</summary>
public sealed class TenantScope : IDisposable
{
    private readonly Tenant? previous;

    public TenantScope(Tenant tenant)
    {
        previous = TenantContext.Current;
        TenantContext.Current = tenant;
    }

    public void Dispose() => TenantContext.Current = previous;
}

/// <summary>Bills tenants: one leaky use of the tenant context and two correct ones.</summary>
public static class TenantBilling
{
    public static decimal Bill(Tenant tenant, decimal amount)
    {
        // CTX101: the tenant stays current after Bill returns, so the caller's next request runs as this tenant. The
        // fix saves the previous tenant and restores it in a finally.
        TenantContext.Current = tenant;
        return Charge(amount);
    }

    public static decimal BillInScope(Tenant tenant, decimal amount)
    {
        // Fine: the scope puts the previous tenant back on every path.
        using var scope = new TenantScope(tenant);
        return Charge(amount);
    }

    public static decimal BillRestored(Tenant tenant, decimal amount)
    {
        // Fine: the previous tenant comes back in the finally.
        var previous = TenantContext.Current;
        TenantContext.Current = tenant;
        try
        {
            return Charge(amount);
        }
        finally
        {
            TenantContext.Current = previous;
        }
    }

    private static decimal Charge(decimal amount) => TenantContext.Current is null ? 0 : amount;
}
