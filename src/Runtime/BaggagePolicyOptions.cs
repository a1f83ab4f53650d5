using System;
using System.Collections.Generic;

namespace ContextAnalyzers.Runtime
{
    /// <summary>What a <see cref="BaggagePolicy"/> does with an entry that breaks one of its checks.</summary>
    public enum BaggageViolationAction
    {
        /// <summary>Leave the entry out and count the drop (metric and event).</summary>
        Drop,

        /// <summary>Keep the key with the value <see cref="BaggagePolicy.RedactedValue"/> and count the redaction.
        /// For a key that is not a W3C token, the entry is dropped instead (a key cannot be redacted).</summary>
        Redact,

        /// <summary>Keep the key with a keyed pseudonym of the value (<see cref="BaggagePolicy.Hash(string)"/>) and count it.
        /// For a key that is not a W3C token, the entry is dropped instead.</summary>
        Hash,

        /// <summary>Throw an <see cref="InvalidOperationException"/> (for tests and development).</summary>
        Throw,
    }

    /// <summary>The check an entry failed (the <c>violation</c> tag of the counter).</summary>
    internal enum BaggageViolation
    {
        /// <summary>
        /// The key is not a W3C token: the propagator would skip it without a log (OpenTelemetry 1.15.x URL-encodes and
        /// sends it instead, and receivers on later versions take the encoded text as the key).
        /// </summary>
        InvalidKey,

        /// <summary>The entry would push the header past <see cref="BaggagePolicyOptions.MaxTotalBytes"/>.</summary>
        TooLarge,

        /// <summary>The baggage would hold more than <see cref="BaggagePolicyOptions.MaxEntries"/> entries.</summary>
        TooManyEntries,

        /// <summary>The key's words match the sensitive list.</summary>
        SensitiveKey,
    }

    /// <summary>
    /// Options of a <see cref="BaggagePolicy"/>. The limits default to what the .NET OpenTelemetry
    /// <c>BaggagePropagator</c> sends: 180 entries and 8192 bytes of header, its encoding included. As with
    /// OpenTelemetry .NET's options classes, the constructor reads the environment
    /// (<see cref="BaggagePolicy.HashKeyEnvironmentVariable"/> into <see cref="HashKey"/>), and what is set in code
    /// afterwards wins.
    /// </summary>
    public sealed class BaggagePolicyOptions
    {
        /// <summary>Initializes a new instance of the <see cref="BaggagePolicyOptions"/> class from the environment.</summary>
        public BaggagePolicyOptions()
            : this(Environment.GetEnvironmentVariable)
        {
        }

        /// <summary>Initializes the options from <paramref name="environment"/> (tests pass their own).</summary>
        internal BaggagePolicyOptions(Func<string, string?> environment)
        {
            HashKey = BaggagePolicy.KeyFromEnvironment(environment, BaggagePolicy.HashKeyEnvironmentVariable);
        }

        /// <summary>Action for a key that is not a W3C token. Default: <see cref="BaggageViolationAction.Drop"/>.</summary>
        public BaggageViolationAction OnInvalidKey { get; set; } = BaggageViolationAction.Drop;

        /// <summary>Action for an entry over the size or count limits. Default: <see cref="BaggageViolationAction.Drop"/>.</summary>
        public BaggageViolationAction OnLimitExceeded { get; set; } = BaggageViolationAction.Drop;

        /// <summary>Action for a key on the sensitive list. Default: <see cref="BaggageViolationAction.Hash"/>
        /// (which redacts when no pseudonym key is configured).</summary>
        public BaggageViolationAction OnSensitiveKey { get; set; } = BaggageViolationAction.Hash;

        /// <summary>Entries added to the default sensitive list (words or multi-word entries such as <c>"patient id"</c>).</summary>
        public ICollection<string> AddedSensitiveWords { get; } = new List<string>();

        /// <summary>Default entries removed from the sensitive list (for example <c>"address"</c>).</summary>
        public ICollection<string> RemovedSensitiveWords { get; } = new List<string>();

        /// <summary>Exact keys (ordinal) that are never treated as sensitive.</summary>
        public ICollection<string> AllowedKeys { get; } = new List<string>();

        /// <summary>
        /// The deployment-provided HMAC-SHA256 key for pseudonyms, at least 16 bytes. The same key on every service makes
        /// the pseudonyms correlate across services. Initialized from the base64 environment variable
        /// <see cref="BaggagePolicy.HashKeyEnvironmentVariable"/>; without any key (null), pseudonyms are redacted.
        /// </summary>
        public byte[]? HashKey { get; set; }

        /// <summary>How many bytes of the HMAC are kept (8 to 32, default 16, encoded as unpadded base64url).</summary>
        public int HashBytes { get; set; } = 16;

        /// <summary>The most entries sent (default 180, the propagator's limit).</summary>
        public int MaxEntries { get; set; } = 180;

        /// <summary>The longest header in bytes (default 8192, the propagator's limit), the propagator's encoding and commas included.</summary>
        public int MaxTotalBytes { get; set; } = 8192;
    }
}
