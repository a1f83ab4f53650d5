using System;
using System.Collections.Generic;
using System.Text;

namespace ContextAnalyzers.Shared
{
    /// <summary>
    /// The sensitive-word list shared (as source) by the analyzers (CTX301/CTX302) and the runtime baggage policy,
    /// so both flag exactly the same keys. Matching is by words, never by substring:
    /// a name is split into words (separators <c>. _ - : / space</c>, camelCase humps, letter/digit changes), trailing
    /// neutral words (<c>value</c>, <c>header</c>, digits, ...) are ignored, and the name matches an entry when the
    /// entry's words are the LAST words of the name, either as separate words or written together
    /// (<c>X-Api-Key</c>, <c>apiKey</c> and <c>apikey</c> all end with "api key").
    /// The last word is the head noun: <c>passwordQuestionId</c> is an id, <c>emailTemplate</c> a template, neither a secret.
    /// </summary>
    internal sealed class SensitiveWords
    {
        /// <summary>Credentials. Multi-word entries are sensitive only together (<c>session id</c>, not <c>session.count</c>).</summary>
        internal static readonly string[] DefaultCredentials =
        {
            "password", "passwords", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "api key", "access key",
            "secret key", "private key", "authorization", "bearer", "cookie", "cookies", "session id", "session key",
            "session token", "credential", "credentials", "signature", "otp", "otp code", "pin code",
        };

        /// <summary>Personal data.</summary>
        internal static readonly string[] DefaultPersonal =
        {
            "email", "phone", "phone number", "mobile number", "ssn", "social security number", "national id",
            "passport", "passport number", "birth date", "date of birth", "birthday", "dob", "address", "ip address",
            "first name", "last name", "full name", "given name", "family name", "surname",
        };

        /// <summary>Payment data.</summary>
        internal static readonly string[] DefaultPayment =
        {
            "card number", "credit card", "pan", "cvv", "cvc", "iban", "account number",
        };

        /// <summary>Trailing words that do not change what a name holds (<c>passwordValue</c> is a password).</summary>
        private static readonly HashSet<string> NeutralSuffixes = new HashSet<string>(StringComparer.Ordinal)
        {
            "value", "val", "str", "string", "text", "raw", "plain", "plaintext", "header", "hdr", "encoded", "base",
        };

        private const int MaxSuffixWords = 8;

        private readonly HashSet<string> joined;

        private SensitiveWords(IEnumerable<string> entries)
        {
            joined = new HashSet<string>(StringComparer.Ordinal);
            var list = new List<string>();
            foreach (var e in entries)
            {
                var words = Split(e);
                if (words.Count == 0)
                {
                    continue;
                }

                var j = string.Concat(words);
                if (joined.Add(j))
                {
                    list.Add(string.Join(" ", words));
                }
            }

            Entries = list;
        }

        /// <summary>Every default entry, in the documented order.</summary>
        public static IReadOnlyList<string> DefaultEntries { get; } = Concat(DefaultCredentials, DefaultPersonal, DefaultPayment);

        /// <summary>The default list.</summary>
        public static SensitiveWords Default { get; } = new SensitiveWords(DefaultEntries);

        /// <summary>The entries of this list, normalised (lower case words separated by one space).</summary>
        public IReadOnlyList<string> Entries { get; }

        /// <summary>The defaults plus <paramref name="added"/> minus <paramref name="removed"/> (entries compared after normalisation).</summary>
        public static SensitiveWords Create(IEnumerable<string>? added, IEnumerable<string>? removed)
        {
            var remove = new HashSet<string>(StringComparer.Ordinal);
            if (removed is not null)
            {
                foreach (var r in removed)
                {
                    remove.Add(string.Concat(Split(r)));
                }
            }

            var result = new List<string>();
            foreach (var e in DefaultEntries)
            {
                if (!remove.Contains(string.Concat(Split(e))))
                {
                    result.Add(e);
                }
            }

            if (added is not null)
            {
                foreach (var a in added)
                {
                    if (!remove.Contains(string.Concat(Split(a))))
                    {
                        result.Add(a);
                    }
                }
            }

            return new SensitiveWords(result);
        }

        /// <summary>True when <paramref name="entry"/> (normalised) is one of the defaults.</summary>
        public static bool IsDefaultEntry(string entry)
        {
            var j = string.Concat(Split(entry));
            return j.Length > 0 && Default.joined.Contains(j);
        }

        /// <summary>
        /// The entry that <paramref name="name"/> ends with (as words), or <see langword="null"/>.
        /// </summary>
        public string? Match(string? name)
        {
            if (name is null || name.Length == 0)
            {
                return null;
            }

            var words = Split(name);
            var end = words.Count;
            while (end > 1 && IsNeutral(words[end - 1]))
            {
                end--;
            }

            if (end == 0)
            {
                return null;
            }

            // Suffixes of the word list, joined: "x api key" -> "key", "apikey", "xapikey". A suffix may be one word
            // written together ("apikey") or several; it always starts and ends on a word boundary of the name.
            var sb = new StringBuilder();
            var limit = Math.Max(0, end - MaxSuffixWords);
            for (var start = end - 1; start >= limit; start--)
            {
                sb.Insert(0, words[start]);
                var candidate = sb.ToString();
                if (joined.Contains(candidate))
                {
                    return Describe(candidate);
                }
            }

            return null;
        }

        private string Describe(string joinedEntry)
        {
            foreach (var e in Entries)
            {
                if (e.Length >= joinedEntry.Length && string.Equals(e.Replace(" ", string.Empty), joinedEntry, StringComparison.Ordinal))
                {
                    return e;
                }
            }

            return joinedEntry;
        }

        private static bool IsNeutral(string word)
        {
            if (NeutralSuffixes.Contains(word))
            {
                return true;
            }

            foreach (var c in word)
            {
                if (c < '0' || c > '9')
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Splits a key or identifier into lower-case words: on any character that is not a letter or digit, at
        /// camelCase humps (<c>authToken</c> → auth, token; <c>APIKey</c> → api, key) and between letters and digits.
        /// </summary>
        public static List<string> Split(string? text)
        {
            var words = new List<string>();
            if (text is null)
            {
                return words;
            }

            var sb = new StringBuilder();
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (!char.IsLetterOrDigit(c))
                {
                    Flush(words, sb);
                    continue;
                }

                if (sb.Length > 0)
                {
                    var prev = text[i - 1];
                    var boundary =
                        (char.IsUpper(c) && char.IsLower(prev)) ||
                        (char.IsUpper(c) && char.IsUpper(prev) && i + 1 < text.Length && char.IsLower(text[i + 1])) ||
                        (char.IsDigit(c) != char.IsDigit(prev));
                    if (boundary)
                    {
                        Flush(words, sb);
                    }
                }

                sb.Append(char.ToLowerInvariant(c));
            }

            Flush(words, sb);
            return words;
        }

        private static void Flush(List<string> words, StringBuilder sb)
        {
            if (sb.Length > 0)
            {
                words.Add(sb.ToString());
                sb.Clear();
            }
        }

        private static IReadOnlyList<string> Concat(params string[][] lists)
        {
            var all = new List<string>();
            foreach (var l in lists)
            {
                all.AddRange(l);
            }

            return all.AsReadOnly();
        }
    }
}
