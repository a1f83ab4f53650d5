using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Inject and extract helpers for the carriers written by hand around message brokers and custom transports:
    /// string dictionaries, sequences of string pairs, and header lists of <c>(string, byte[])</c> encoded in UTF-8.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Extraction never throws because of what a carrier holds: a header value longer than
    /// <see cref="MaxHeaderValueLength"/> is ignored as if absent, bytes that are not UTF-8 are decoded with replacement
    /// characters (which the W3C parsers reject), and an exception raised while reading the carrier or parsing yields
    /// <see langword="default"/> (no parent, no baggage) rather than a half-read context, and is reported on the
    /// <c>ContextAnalyzers-Runtime</c> event source (event 1, <c>ExtractFailed</c>). Header names are matched
    /// without regard to case.
    /// </para>
    /// <para>
    /// Injection writes the current context: <see cref="Activity.Current"/>'s <see cref="Activity.Context"/> and
    /// <see cref="Baggage.Current"/>. <c>TextMapPropagator.Inject(default, ...)</c> writes no <c>traceparent</c> at all.
    /// </para>
    /// </remarks>
    public static class Carriers
    {
        /// <summary>The longest header value, in characters or bytes, that extraction reads (W3C baggage's 8192-byte floor).</summary>
        public const int MaxHeaderValueLength = 8192;

        private const int MaxValuesPerName = 16;

        private static readonly Action<IDictionary<string, string>, string, string> DictionarySetter = (carrier, name, value) => carrier[name] = value;

        private static readonly Action<ICollection<(string Key, byte[] Value)>, string, string> HeaderSetter = SetHeader;

        private static readonly Func<IEnumerable<KeyValuePair<string, string>>, string, IEnumerable<string>?> PairGetter = GetPairValues;

        private static readonly Func<IEnumerable<(string Key, byte[] Value)>, string, IEnumerable<string>?> HeaderGetter = GetHeaderValues;

        /// <summary>
        /// The context to inject for the current flow: the current activity's context (default when there is none)
        /// and the current baggage.
        /// </summary>
        public static PropagationContext Current => new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current);

        /// <summary>Injects the current activity's context and the current baggage through <paramref name="setter"/>.</summary>
        /// <typeparam name="T">The carrier type.</typeparam>
        /// <param name="propagator">The propagator, usually <c>Propagators.DefaultTextMapPropagator</c> read at call time.</param>
        /// <param name="carrier">The carrier to write to.</param>
        /// <param name="setter">Writes one header to the carrier.</param>
        /// <exception cref="ArgumentNullException"><paramref name="propagator"/> or <paramref name="setter"/> is <see langword="null"/>.</exception>
        public static void InjectCurrent<T>(this TextMapPropagator propagator, T carrier, Action<T, string, string> setter)
        {
            if (propagator is null)
            {
                throw new ArgumentNullException(nameof(propagator));
            }

            if (setter is null)
            {
                throw new ArgumentNullException(nameof(setter));
            }

            propagator.Inject(Current, carrier, setter);
        }

        /// <summary>Injects the current activity's context and the current baggage into a string dictionary (existing entries are replaced).</summary>
        /// <param name="propagator">The propagator, usually <c>Propagators.DefaultTextMapPropagator</c> read at call time.</param>
        /// <param name="carrier">The dictionary to write to.</param>
        /// <exception cref="ArgumentNullException"><paramref name="propagator"/> or <paramref name="carrier"/> is <see langword="null"/>.</exception>
        public static void InjectCurrent(this TextMapPropagator propagator, IDictionary<string, string> carrier)
        {
            if (carrier is null)
            {
                throw new ArgumentNullException(nameof(carrier));
            }

            InjectCurrent(propagator, carrier, DictionarySetter);
        }

        /// <summary>
        /// Injects the current activity's context and the current baggage into a broker header list as UTF-8 bytes.
        /// Headers of the same name already in the list are removed first, so a re-published message carries one
        /// <c>traceparent</c>, not two.
        /// </summary>
        /// <param name="propagator">The propagator, usually <c>Propagators.DefaultTextMapPropagator</c> read at call time.</param>
        /// <param name="headers">The header list to write to.</param>
        /// <exception cref="ArgumentNullException"><paramref name="propagator"/> or <paramref name="headers"/> is <see langword="null"/>.</exception>
        public static void InjectCurrent(this TextMapPropagator propagator, ICollection<(string Key, byte[] Value)> headers)
        {
            if (headers is null)
            {
                throw new ArgumentNullException(nameof(headers));
            }

            InjectCurrent(propagator, headers, HeaderSetter);
        }

        /// <summary>Extracts a context from string pairs (a dictionary, a header collection); <see langword="default"/> when absent or unreadable.</summary>
        /// <param name="propagator">The propagator, usually <c>Propagators.DefaultTextMapPropagator</c> read at call time.</param>
        /// <param name="carrier">The pairs to read; <see langword="null"/> reads as empty.</param>
        /// <returns>The extracted context, or <see langword="default"/>.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="propagator"/> is <see langword="null"/>.</exception>
        public static PropagationContext Extract(this TextMapPropagator propagator, IEnumerable<KeyValuePair<string, string>>? carrier)
            => SafeExtract(propagator, carrier, PairGetter);

        /// <summary>Extracts a context from a broker header list of UTF-8 values; <see langword="default"/> when absent or unreadable.</summary>
        /// <param name="propagator">The propagator, usually <c>Propagators.DefaultTextMapPropagator</c> read at call time.</param>
        /// <param name="headers">The headers to read; <see langword="null"/> reads as empty.</param>
        /// <returns>The extracted context, or <see langword="default"/>.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="propagator"/> is <see langword="null"/>.</exception>
        public static PropagationContext Extract(this TextMapPropagator propagator, IEnumerable<(string Key, byte[] Value)>? headers)
            => SafeExtract(propagator, headers, HeaderGetter);

        /// <summary>
        /// Extracts with any carrier and getter, always from <see langword="default"/> (so the carrier is read), turning
        /// every exception into <see langword="default"/>.
        /// </summary>
        internal static PropagationContext SafeExtract<T>(TextMapPropagator propagator, T? carrier, Func<T, string, IEnumerable<string>?> getter)
        {
            if (propagator is null)
            {
                throw new ArgumentNullException(nameof(propagator));
            }

            if (carrier is null)
            {
                return default;
            }

            try
            {
                return propagator.Extract(default, carrier, getter);
            }
            catch (Exception exception)
            {
                // A malformed carrier must not take the consumer down, nor leave it with half a context; say so on the
                // self-diagnostics event source, where operators look for what the helpers swallow.
                RuntimeEventSource.Log.ExtractFailed(propagator.GetType(), exception);
                return default;
            }
        }

        private static IEnumerable<string>? GetPairValues(IEnumerable<KeyValuePair<string, string>> carrier, string name)
        {
            // A Dictionary (the common carrier): no interface dispatch, and its struct enumerator for the scan (no boxed
            // enumerator); when its comparer already ignores case, a miss is final and the scan is skipped.
            List<string>? values = null;
            if (carrier is Dictionary<string, string> concrete)
            {
                if (concrete.TryGetValue(name, out var found))
                {
                    return found is not null && found.Length <= MaxHeaderValueLength ? new[] { found } : null;
                }

                if (!IgnoresCase(concrete.Comparer))
                {
                    foreach (var pair in concrete)
                    {
                        if (Collect(ref values, pair, name))
                        {
                            break;
                        }
                    }
                }

                return values;
            }

            if (carrier is IDictionary<string, string> dictionary && dictionary.TryGetValue(name, out var exact))
            {
                return exact is not null && exact.Length <= MaxHeaderValueLength ? new[] { exact } : null;
            }

            foreach (var pair in carrier)
            {
                if (Collect(ref values, pair, name))
                {
                    break;
                }
            }

            return values;
        }

        /// <summary>Adds the pair's value when its key is <paramref name="name"/> in any case; true when enough were collected.</summary>
        private static bool Collect(ref List<string>? values, KeyValuePair<string, string> pair, string name)
        {
            if (pair.Value is null || pair.Value.Length > MaxHeaderValueLength || !string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            (values ??= new List<string>()).Add(pair.Value);
            return values.Count == MaxValuesPerName;
        }

        private static bool IgnoresCase(IEqualityComparer<string> comparer) =>
            ReferenceEquals(comparer, StringComparer.OrdinalIgnoreCase) || ReferenceEquals(comparer, StringComparer.InvariantCultureIgnoreCase);

        private static IEnumerable<string>? GetHeaderValues(IEnumerable<(string Key, byte[] Value)> headers, string name)
        {
            List<string>? values = null;
            foreach (var (key, value) in headers)
            {
                if (value is not null && value.Length <= MaxHeaderValueLength && string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    (values ??= new List<string>()).Add(Encoding.UTF8.GetString(value));
                    if (values.Count == MaxValuesPerName)
                    {
                        break;
                    }
                }
            }

            return values;
        }

        private static void SetHeader(ICollection<(string Key, byte[] Value)> headers, string name, string value)
        {
            if (headers is List<(string Key, byte[] Value)> list)
            {
                list.RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
            }
            else
            {
                List<(string Key, byte[] Value)>? stale = null;
                foreach (var header in headers)
                {
                    if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
                    {
                        (stale ??= new List<(string Key, byte[] Value)>()).Add(header);
                    }
                }

                if (stale is not null)
                {
                    foreach (var header in stale)
                    {
                        headers.Remove(header);
                    }
                }
            }

            headers.Add((name, Encoding.UTF8.GetBytes(value)));
        }
    }
}
