using System;
using System.Collections.Generic;
using System.Net;
using ContextAnalyzers.Shared;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// How the loaded OpenTelemetry's <c>BaggagePropagator</c> writes one <c>key=value</c> entry of the header, so that
    /// the baggage policy counts exactly what it sends. Two behaviours exist among the versions the runtime supports:
    /// <list type="bullet">
    /// <item>W3C (OpenTelemetry 1.16 and later): a key that is not a token is skipped; a value is percent-encoded as
    /// UTF-8 except the baggage-octets (a space is <c>%20</c>). <see cref="BaggageLimits"/> models it.</item>
    /// <item>URL-encoded (OpenTelemetry 1.15.x): every key and value goes through <see cref="WebUtility.UrlEncode(string)"/>
    /// (a space is <c>+</c>, a key that is not a token is encoded and sent).</item>
    /// </list>
    /// The behaviour is detected once, at first use, by injecting a probe through the real propagator (no version
    /// string is read); an answer that matches neither is taken as W3C, the behaviour of current versions.
    /// </summary>
    internal static class BaggageWire
    {
        /// <summary>The probe: a key that is not a token, a value with a space.</summary>
        private const string ProbeKey = "a b";
        private const string ProbeValue = "c d";

        /// <summary>The header a URL-encoding propagator writes for the probe (a W3C one writes none: the key is skipped).</summary>
        private const string UrlEncodedProbeHeader = "a+b=c+d";

        /// <summary>Gets a value indicating whether the loaded propagator URL-encodes keys and values (OpenTelemetry 1.15.x).</summary>
        public static bool UrlEncoded => Detected.UrlEncoded;

        /// <summary>True when the propagator sends an entry with this key (a W3C propagator skips keys that are not tokens).</summary>
        public static bool Sends(string key) => UrlEncoded || BaggageLimits.IsToken(key);

        /// <summary>The length of the <c>key=value</c> entry as the loaded propagator writes it (without the separating comma).</summary>
        public static int EntryLength(string key, string? value) => UrlEncoded
            ? WebUtility.UrlEncode(key).Length + 1 + (string.IsNullOrEmpty(value) ? 0 : WebUtility.UrlEncode(value).Length)
            : BaggageLimits.EntryLength(key, value);

        /// <summary>Whether <paramref name="probeHeader"/>, the header written for the probe, comes from a URL-encoding propagator.</summary>
        internal static bool IsUrlEncodedProbe(string? probeHeader) => string.Equals(probeHeader, UrlEncodedProbeHeader, StringComparison.Ordinal);

        /// <summary>The header the loaded propagator writes for the probe entry, or null when it writes none.</summary>
        internal static string? InjectProbe()
        {
            string? header = null;
            var probe = Baggage.Create(new Dictionary<string, string> { [ProbeKey] = ProbeValue });
            new BaggagePropagator().Inject(new PropagationContext(default, probe), new object(), (_, name, value) =>
            {
                if (string.Equals(name, "baggage", StringComparison.Ordinal))
                {
                    header = value;
                }
            });
            return header;
        }

        /// <summary>The detection, run by the type initializer on first use (thread-safe, once per process).</summary>
        private static class Detected
        {
            public static readonly bool UrlEncoded = Detect();

            private static bool Detect()
            {
                try
                {
                    return IsUrlEncodedProbe(InjectProbe());
                }
                catch (Exception)
                {
                    // The probe must never break the policy: an unexpected failure keeps the W3C model.
                    return false;
                }
            }
        }
    }
}
