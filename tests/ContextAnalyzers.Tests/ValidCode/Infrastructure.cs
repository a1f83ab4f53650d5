// Zero-diagnostic corpus: realistic, correct OpenTelemetry code. Every analyzer must report NOTHING on these files.
// When a false positive is found, add the code that triggered it here (see README.md in this folder).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ValidCode.Infrastructure;

public static class Telemetry
{
    public static readonly ActivitySource Source = new("ValidCode.Services", "2.1.0");
}

public sealed class BrokerMessage
{
    public BrokerMessage(string topic, byte[] payload)
    {
        Topic = topic;
        Payload = payload;
    }

    public string Topic { get; }

    public byte[] Payload { get; }

    public string MessageId { get; init; } = Guid.NewGuid().ToString("N");

    public List<KeyValuePair<string, byte[]>> Headers { get; } = new();
}

public interface IBroker
{
    Task SendAsync(BrokerMessage message, CancellationToken cancellationToken);
}

public sealed record HttpRequestData(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string? Body);

public sealed record HttpResponseData(int StatusCode, string? Body);

public static class Utf8Headers
{
    public static IEnumerable<string> Get(List<KeyValuePair<string, byte[]>> headers, string key)
    {
        foreach (var header in headers)
        {
            if (string.Equals(header.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                yield return Encoding.UTF8.GetString(header.Value);
            }
        }
    }

    public static void Set(List<KeyValuePair<string, byte[]>> headers, string key, string value)
    {
        headers.RemoveAll(h => string.Equals(h.Key, key, StringComparison.OrdinalIgnoreCase));
        headers.Add(new KeyValuePair<string, byte[]>(key, Encoding.UTF8.GetBytes(value)));
    }
}
