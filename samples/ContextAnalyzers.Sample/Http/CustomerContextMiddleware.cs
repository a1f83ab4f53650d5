using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using System.Text.Json;
using ContextAnalyzers.Runtime;
using OpenTelemetry;

namespace Shop.Http;

/// <summary>
/// The shop front end's request middleware (HttpListener based): it puts the caller's context into baggage so that the
/// services the shop calls (payments, recommendations, the shipping vendor) can use it. Baggage is sent in plain text
/// on every one of those calls, so this file shows the CTX3xx mistakes next to the safe forms.
/// </summary>
public sealed class CustomerContextMiddleware
{
    private readonly Func<HttpListenerContext, Task> next;

    public CustomerContextMiddleware(Func<HttpListenerContext, Task> next) => this.next = next;

    public async Task InvokeAsync(HttpListenerContext context, ClaimsPrincipal customer, Cart cart)
    {
        var request = context.Request;

        // Fine: a tenant id, an A/B variant and a tier are not personal data, and the keys are W3C tokens.
        Baggage.SetBaggage("tenant.id", request.Headers["X-Tenant"]);
        Baggage.SetBaggage("ab.variant", request.Headers["X-Variant"]);
        Baggage.SetBaggage("customer.tier", customer.FindFirst("tier")?.Value);

        // CTX301: the key says what the value is, and every downstream service (vendors included) receives it.
        Baggage.SetBaggage("customer.email", customer.FindFirst(ClaimTypes.Email)?.Value);

        // CTX302: an innocent key, but the value is the caller's credentials.
        Baggage.SetBaggage("caller", request.Headers["Authorization"]);

        // CTX303 (Warning): "customer segment" is not a W3C token, the propagator skips it without a log.
        Baggage.SetBaggage("customer segment", "gold");

        // CTX303 (Info): one entry per query value; past 180 entries or 8192 bytes the propagator drops the rest.
        foreach (string? name in request.QueryString)
        {
            Baggage.SetBaggage("q." + name, request.QueryString[name]);
        }

        // CTX303 (Info): a serialised cart grows with the cart.
        Baggage.SetBaggage("cart", JsonSerializer.Serialize(cart));

        // Safe forms: a keyed pseudonym still correlates across services, a tag stays in our own traces,
        // and the policy enforces the limits and counts what it drops.
        Baggage.SetBaggage("customer.ref", BaggagePolicy.Pseudonymize(customer.FindFirst(ClaimTypes.Email)?.Value));
        Activity.Current?.SetTag("customer.email", customer.FindFirst(ClaimTypes.Email)?.Value);
        BaggagePolicy.Default.SetBaggage("cart.size", cart.Items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await next(context).ConfigureAwait(false);
    }
}

/// <summary>The customer's cart.</summary>
public sealed class Cart
{
    public List<string> Items { get; } = new();
}
