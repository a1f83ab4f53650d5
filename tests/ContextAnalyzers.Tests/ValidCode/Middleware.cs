using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using ValidCode.Infrastructure;

namespace ValidCode.Middleware;

/// <summary>Server-side tracing middleware: remote parent, baggage scope, status on failure, everything restored.</summary>
public sealed class TracingMiddleware
{
    private static readonly Func<IReadOnlyDictionary<string, string>, string, IEnumerable<string>> Getter =
        static (headers, key) => headers.TryGetValue(key, out var value) ? new[] { value } : Array.Empty<string>();

    private readonly Func<HttpRequestData, CancellationToken, Task<HttpResponseData>> _next;

    public TracingMiddleware(Func<HttpRequestData, CancellationToken, Task<HttpResponseData>> next) => _next = next;

    public async Task<HttpResponseData> InvokeAsync(HttpRequestData request, CancellationToken cancellationToken)
    {
        var parent = Propagators.DefaultTextMapPropagator.Extract(default, request.Headers, Getter);
        var previousBaggage = Baggage.Current;
        Baggage.Current = parent.Baggage;
        try
        {
            using var activity = Telemetry.Source.StartActivity($"{request.Method} {request.Path}", ActivityKind.Server, parent.ActivityContext);
            activity?.SetTag("http.request.method", request.Method);
            activity?.SetTag("url.path", request.Path);
            try
            {
                var response = await _next(request, cancellationToken).ConfigureAwait(false);
                activity?.SetTag("http.response.status_code", response.StatusCode);
                if (response.StatusCode >= 500)
                {
                    activity?.SetStatus(ActivityStatusCode.Error);
                }

                return response;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                activity?.AddException(ex);
                return new HttpResponseData(500, "Internal error");
            }
        }
        finally
        {
            Baggage.Current = previousBaggage;
        }
    }
}

/// <summary>Client-side: the outgoing call injects the current span and baggage into the request headers.</summary>
public sealed class OutgoingCallHandler
{
    private static readonly Action<Dictionary<string, string>, string, string> Setter = static (headers, key, value) => headers[key] = value;

    public async Task<HttpResponseData> SendAsync(string path, Func<Dictionary<string, string>, Task<HttpResponseData>> transport)
    {
        using var activity = Telemetry.Source.StartActivity($"GET {path}", ActivityKind.Client);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (activity is not null)
        {
            Propagators.DefaultTextMapPropagator.Inject(new PropagationContext(activity.Context, Baggage.Current), headers, Setter);
        }

        var response = await transport(headers).ConfigureAwait(false);
        activity?.SetTag("http.response.status_code", response.StatusCode);
        return response;
    }
}
