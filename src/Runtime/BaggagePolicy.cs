using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using ContextAnalyzers.Shared;
using OpenTelemetry;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Enforces what baggage may carry before it is sent: keys must be W3C tokens, the header must stay within the
    /// propagator's limits (180 entries, 8192 bytes as the loaded .NET <c>BaggagePropagator</c> counts them, its
    /// encoding and commas included: percent-encoding from OpenTelemetry 1.16, URL-encoding of keys and values in
    /// 1.15.x, detected at first use), and keys that look sensitive (the same word list as the CTX301 analyzer) are pseudonymised,
    /// redacted or dropped. Every drop, redaction or pseudonym is counted on the <see cref="MeterName"/> meter
    /// (counter <see cref="ViolationsCounterName"/>) and written to the <c>ContextAnalyzers-Baggage</c> event source,
    /// so operators see what was lost. A policy is immutable and thread-safe.
    /// </summary>
    public sealed class BaggagePolicy
    {
        /// <summary>The value a redacted entry carries.</summary>
        public const string RedactedValue = "redacted";

        /// <summary>
        /// Environment variable read by <see cref="BaggagePolicyOptions"/>'s constructor for the pseudonym key (base64, at
        /// least 16 bytes); an explicitly set <see cref="BaggagePolicyOptions.HashKey"/> replaces it.
        /// </summary>
        public const string HashKeyEnvironmentVariable = "CONTEXTANALYZERS_BAGGAGE_HASH_KEY";

        /// <summary>The name of the <see cref="Meter"/> that counts violations.</summary>
        public const string MeterName = "ContextAnalyzers.Runtime";

        /// <summary>The counter of entries dropped, redacted or pseudonymised; tags <c>violation</c> and <c>action</c>.</summary>
        public const string ViolationsCounterName = "contextanalyzers.baggage.violations";

        internal const int MinimumKeyBytes = 16;

        private static readonly Meter PolicyMeter = new Meter(MeterName);
        private static readonly Counter<long> Violations = PolicyMeter.CreateCounter<long>(ViolationsCounterName, "{entry}", "Baggage entries dropped, redacted or pseudonymised by a BaggagePolicy.");
        private static BaggagePolicy? defaultPolicy;

        private readonly BaggageViolationAction onInvalidKey;
        private readonly BaggageViolationAction onLimitExceeded;
        private readonly BaggageViolationAction onSensitiveKey;
        private readonly SensitiveWords words;
        private readonly HashSet<string> allowedKeys;
        private readonly byte[]? hashKey;
        private readonly int hashBytes;
        private readonly int maxEntries;
        private readonly int maxTotalBytes;

        /// <summary>Creates a policy from <paramref name="options"/> (copied: later changes to them have no effect).</summary>
        /// <exception cref="ArgumentException">The hash key is shorter than 16 bytes, or a limit is out of range.</exception>
        public BaggagePolicy(BaggagePolicyOptions? options = null)
        {
            options ??= new BaggagePolicyOptions();
            if (options.HashBytes < 8 || options.HashBytes > 32)
            {
                throw new ArgumentException("HashBytes must be between 8 and 32.", nameof(options));
            }

            if (options.MaxEntries < 1 || options.MaxTotalBytes < 3)
            {
                throw new ArgumentException("MaxEntries and MaxTotalBytes must be positive.", nameof(options));
            }

            if (options.HashKey is { } key && key.Length < MinimumKeyBytes)
            {
                throw new ArgumentException($"The hash key must have at least {MinimumKeyBytes} bytes.", nameof(options));
            }

            onInvalidKey = options.OnInvalidKey;
            onLimitExceeded = options.OnLimitExceeded;
            onSensitiveKey = options.OnSensitiveKey;
            words = SensitiveWords.Create(options.AddedSensitiveWords, options.RemovedSensitiveWords);
            allowedKeys = new HashSet<string>(options.AllowedKeys, StringComparer.Ordinal);
            hashKey = options.HashKey is { } k ? (byte[])k.Clone() : null;
            hashBytes = options.HashBytes;
            maxEntries = options.MaxEntries;
            maxTotalBytes = options.MaxTotalBytes;
        }

        /// <summary>
        /// The policy the code fixes rewrite to: default options, the pseudonym key read from
        /// <see cref="HashKeyEnvironmentVariable"/> when the policy is first used (so every service of a deployment can
        /// share the key without code). It cannot be replaced: a component that needs other options creates its own
        /// <see cref="BaggagePolicy"/> and passes it (for example to <see cref="ContextScope.SetBaggage(string, string, BaggagePolicy)"/>),
        /// so two components in one process never change each other's policy.
        /// </summary>
        public static BaggagePolicy Default
        {
            get
            {
                var current = Volatile.Read(ref defaultPolicy);
                if (current is not null)
                {
                    return current;
                }

                Interlocked.CompareExchange(ref defaultPolicy, new BaggagePolicy(), null);
                return Volatile.Read(ref defaultPolicy)!;
            }
        }

        /// <summary>The default sensitive-word list, shared with the CTX301/CTX302 analyzers (documented in docs/sensitive-words.md).</summary>
        public static IReadOnlyList<string> DefaultSensitiveWords => SensitiveWords.DefaultEntries;

        /// <summary>True when the pseudonyms of this policy are keyed hashes (a key was configured), false when they are redacted.</summary>
        public bool HasHashKey => hashKey is not null;

        /// <summary>
        /// A keyed pseudonym of <paramref name="value"/> from <see cref="Default"/>: still correlates across services that
        /// share the key, discloses nothing without it. See <see cref="Hash(string)"/>.
        /// </summary>
        /// <param name="value">The sensitive value.</param>
        /// <returns>The pseudonym, or <see langword="null"/> when <paramref name="value"/> is null.</returns>
        [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull("value")]
        public static string? Pseudonymize(string? value) => Default.Hash(value);

        /// <summary>
        /// HMAC-SHA256 of the UTF-8 bytes of <paramref name="value"/> with the deployment-provided key, truncated to
        /// <see cref="BaggagePolicyOptions.HashBytes"/> bytes and encoded as unpadded base64url (22 characters by default).
        /// Never a bare unsalted hash: without a configured key the result is <see cref="RedactedValue"/> (counted).
        /// </summary>
        /// <param name="value">The value to pseudonymise.</param>
        /// <returns>The pseudonym, or <see langword="null"/> when <paramref name="value"/> is null.</returns>
        [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull("value")]
        public string? Hash(string? value)
        {
            if (value is null)
            {
                return null;
            }

            if (hashKey is null)
            {
                Report("(pseudonym)", "no_hash_key", BaggageViolationAction.Redact);
                return RedactedValue;
            }

            var data = Encoding.UTF8.GetBytes(value);
#if NET8_0_OR_GREATER
            var mac = HMACSHA256.HashData(hashKey, data);
#else
            byte[] mac;
            using (var hmac = new HMACSHA256(hashKey))
            {
                mac = hmac.ComputeHash(data);
            }
#endif
            return Base64Url(mac, hashBytes);
        }

        /// <summary>True when <paramref name="key"/>'s words match the sensitive list of this policy and the key is not allowed.</summary>
        /// <param name="key">A baggage key.</param>
        public bool IsSensitiveKey(string key) =>
            key is not null && !allowedKeys.Contains(key) && words.Match(key) is not null;

        /// <summary>
        /// Like <see cref="Baggage.SetBaggage(string, string, Baggage)"/> (it sets <see cref="Baggage.Current"/> the same way),
        /// after applying the policy to the entry: it may be dropped, redacted or pseudonymised, and is counted if so.
        /// </summary>
        /// <param name="name">The key.</param>
        /// <param name="value">The value; null or empty removes the entry, as with <see cref="Baggage.SetBaggage(string, string, Baggage)"/>.</param>
        /// <param name="baggage">The baggage to start from; default: <see cref="Baggage.Current"/>.</param>
        /// <returns>The new current baggage.</returns>
        public Baggage SetBaggage(string name, string? value, Baggage baggage = default) =>
            SetBaggage(new[] { new KeyValuePair<string, string?>(name, value) }, baggage);

        /// <summary>
        /// Like <see cref="Baggage.SetBaggage(IEnumerable{KeyValuePair{string, string}}, Baggage)"/>, after applying the
        /// policy to each entry in order.
        /// </summary>
        /// <param name="baggageItems">The entries.</param>
        /// <param name="baggage">The baggage to start from; default: <see cref="Baggage.Current"/>.</param>
        /// <returns>The new current baggage.</returns>
        public Baggage SetBaggage(IEnumerable<KeyValuePair<string, string?>> baggageItems, Baggage baggage = default)
        {
            if (baggageItems is null)
            {
                throw new ArgumentNullException(nameof(baggageItems));
            }

            var start = baggage == default ? Baggage.Current : baggage;
            var admitted = Admit(start.GetBaggage(), baggageItems, keepExisting: true);
            return Baggage.SetBaggage(admitted, baggage);
        }

        /// <summary>
        /// The part of <paramref name="baggage"/> that the policy admits, in the propagator's order: what the propagator
        /// would drop (and what the policy rejects) is removed here and counted, instead of vanishing silently. Pure:
        /// <see cref="Baggage.Current"/> is not changed.
        /// </summary>
        /// <param name="baggage">The baggage to check.</param>
        /// <returns>A baggage the propagator sends in full.</returns>
        public Baggage Apply(Baggage baggage)
        {
            var items = new List<KeyValuePair<string, string?>>();
            foreach (var item in baggage.GetBaggage())
            {
                items.Add(new KeyValuePair<string, string?>(item.Key, item.Value));
            }

            var admitted = Admit(new Dictionary<string, string>(), items, keepExisting: false);
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in admitted)
            {
                if (!string.IsNullOrEmpty(item.Value))
                {
                    result[item.Key] = item.Value!;
                }
            }

            return Baggage.Create(result);
        }

        private List<KeyValuePair<string, string?>> Admit(IEnumerable<KeyValuePair<string, string>> existing, IEnumerable<KeyValuePair<string, string?>> items, bool keepExisting)
        {
            // The header as the loaded propagator would write it: key=value entries joined by commas (BaggageWire says
            // which keys it sends and how it encodes them).
            var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
            long sum = 0;
            foreach (var e in existing)
            {
                if (e.Value is not null && BaggageWire.Sends(e.Key))
                {
                    if (sizes.TryGetValue(e.Key, out var previous))
                    {
                        sum -= previous;
                    }

                    var size = BaggageWire.EntryLength(e.Key, e.Value);
                    sizes[e.Key] = size;
                    sum += size;
                }
            }

            var admitted = new List<KeyValuePair<string, string?>>();
            foreach (var item in items)
            {
                var key = item.Key;
                var value = item.Value;
                if (key is null)
                {
                    continue;
                }

                if (string.IsNullOrEmpty(value))
                {
                    // A removal, exactly as Baggage.SetBaggage treats it.
                    if (sizes.TryGetValue(key, out var removedSize))
                    {
                        sizes.Remove(key);
                        sum -= removedSize;
                    }

                    if (keepExisting)
                    {
                        admitted.Add(item);
                    }

                    continue;
                }

                if (!BaggageLimits.IsToken(key))
                {
                    Reject(key, BaggageViolation.InvalidKey, onInvalidKey == BaggageViolationAction.Throw ? BaggageViolationAction.Throw : BaggageViolationAction.Drop);
                    continue;
                }

                if (!allowedKeys.Contains(key) && words.Match(key) is not null)
                {
                    value = Replace(key, value!, BaggageViolation.SensitiveKey, onSensitiveKey);
                    if (value is null)
                    {
                        continue;
                    }
                }

                // The header without the entry this one replaces, then with the new one.
                var hadOld = sizes.TryGetValue(key, out var oldSize);
                var baseSum = hadOld ? sum - oldSize : sum;
                var baseCount = hadOld ? sizes.Count - 1 : sizes.Count;
                var newSize = BaggageWire.EntryLength(key, value);
                var violation = baseCount + 1 > maxEntries ? BaggageViolation.TooManyEntries
                    : HeaderLength(baseSum + newSize, baseCount + 1) > maxTotalBytes ? BaggageViolation.TooLarge
                    : (BaggageViolation?)null;
                if (violation is { } v)
                {
                    value = v == BaggageViolation.TooManyEntries
                        ? Reject(key, v, onLimitExceeded == BaggageViolationAction.Throw ? BaggageViolationAction.Throw : BaggageViolationAction.Drop)
                        : Replace(key, value!, v, onLimitExceeded);
                    if (value is null)
                    {
                        continue;
                    }

                    newSize = BaggageWire.EntryLength(key, value);
                    if (HeaderLength(baseSum + newSize, baseCount + 1) > maxTotalBytes)
                    {
                        Reject(key, v, BaggageViolationAction.Drop);
                        continue;
                    }
                }

                sizes[key] = newSize;
                sum = baseSum + newSize;
                admitted.Add(new KeyValuePair<string, string?>(key, value));
            }

            return admitted;
        }

        /// <summary>The header's length: the entries plus one comma between each two.</summary>
        private static long HeaderLength(long entriesLength, int count) => count == 0 ? 0 : entriesLength + count - 1;

        /// <summary>The value that replaces a rejected one, or null to drop the entry.</summary>
        private string? Replace(string key, string value, BaggageViolation violation, BaggageViolationAction action)
        {
            switch (action)
            {
                case BaggageViolationAction.Redact:
                    Report(key, ViolationTag(violation), action);
                    return RedactedValue;
                case BaggageViolationAction.Hash:
                    if (hashKey is null)
                    {
                        Report(key, ViolationTag(violation), BaggageViolationAction.Redact);
                        return RedactedValue;
                    }

                    Report(key, ViolationTag(violation), action);
                    return Hash(value);
                default:
                    return Reject(key, violation, action);
            }
        }

        private static string? Reject(string key, BaggageViolation violation, BaggageViolationAction action)
        {
            if (action == BaggageViolationAction.Throw)
            {
                throw new InvalidOperationException($"Baggage entry '{key}' breaks the baggage policy: {violation}.");
            }

            Report(key, ViolationTag(violation), BaggageViolationAction.Drop);
            return null;
        }

        private static void Report(string key, string violation, BaggageViolationAction action)
        {
            var actionTag = ActionTag(action);
            Violations.Add(1, new KeyValuePair<string, object?>("violation", violation), new KeyValuePair<string, object?>("action", actionTag));
            BaggagePolicyEventSource.Log.EntryRejected(key, violation, actionTag);
        }

        private static string ViolationTag(BaggageViolation violation) => violation switch
        {
            BaggageViolation.InvalidKey => "invalid_key",
            BaggageViolation.TooLarge => "too_large",
            BaggageViolation.TooManyEntries => "too_many_entries",
            _ => "sensitive_key",
        };

        private static string ActionTag(BaggageViolationAction action) => action switch
        {
            BaggageViolationAction.Drop => "drop",
            BaggageViolationAction.Redact => "redact",
            BaggageViolationAction.Hash => "hash",
            _ => "throw",
        };

        /// <summary>The pseudonym key in <paramref name="variable"/> of <paramref name="environment"/>, or null (reported when invalid).</summary>
        internal static byte[]? KeyFromEnvironment(Func<string, string?> environment, string variable)
        {
            var text = environment(variable);
            if (string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            try
            {
                var key = Convert.FromBase64String(text!.Trim());
                if (key.Length >= MinimumKeyBytes)
                {
                    return key;
                }
            }
            catch (FormatException)
            {
            }

            BaggagePolicyEventSource.Log.InvalidHashKey(variable);
            return null;
        }

        private static string Base64Url(byte[] bytes, int count)
        {
            var text = Convert.ToBase64String(bytes, 0, count);
            var sb = new StringBuilder(text.Length);
            foreach (var c in text)
            {
                switch (c)
                {
                    case '+':
                        sb.Append('-');
                        break;
                    case '/':
                        sb.Append('_');
                        break;
                    case '=':
                        break;
                    default:
                        sb.Append(c);
                        break;
                }
            }

            return sb.ToString();
        }
    }
}
