using System.Text;

namespace ContextAnalyzers.Shared
{
    /// <summary>
    /// What the .NET OpenTelemetry <c>BaggagePropagator</c> sends, measured the way it measures it (shared as source by
    /// the analyzers for CTX303 and by the runtime baggage policy). The header is <c>key=value</c> entries joined by
    /// commas; the propagator stops at 180 entries or when the header would pass 8192 characters; keys that are not
    /// W3C tokens are skipped; values are percent-encoded (UTF-8) except for the W3C baggage-octets.
    /// </summary>
    internal static class BaggageLimits
    {
        /// <summary>The most entries the propagator injects.</summary>
        public const int MaxEntries = 180;

        /// <summary>The longest header (in characters, which are ASCII once encoded) the propagator injects.</summary>
        public const int MaxTotalBytes = 8192;

        /// <summary>True when <paramref name="key"/> is an RFC 7230 token (the only keys the propagator sends).</summary>
        public static bool IsToken(string? key)
        {
            if (key is null || key.Length == 0)
            {
                return false;
            }

            foreach (var c in key)
            {
                if (!IsTokenChar(c))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>tchar = "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.</summary>
        public static bool IsTokenChar(char c)
        {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            {
                return true;
            }

            switch (c)
            {
                case '!':
                case '#':
                case '$':
                case '%':
                case '&':
                case '\'':
                case '*':
                case '+':
                case '-':
                case '.':
                case '^':
                case '_':
                case '`':
                case '|':
                case '~':
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>The length of <paramref name="value"/> once percent-encoded as the propagator encodes it.</summary>
        public static int EncodedLength(string? value)
        {
            if (value is null)
            {
                return 0;
            }

            var length = 0;
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (c < 0x80)
                {
                    length += IsBaggageOctet(c) ? 1 : 3;
                }
                else if (c < 0x800)
                {
                    length += 6;
                }
                else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    length += 12;
                    i++;
                }
                else
                {
                    // Other BMP characters take 3 UTF-8 bytes; a lone surrogate becomes U+FFFD, also 3 bytes.
                    length += 9;
                }
            }

            return length;
        }

        /// <summary>The length of one <c>key=value</c> entry in the header (without the separating comma).</summary>
        public static int EntryLength(string key, string? value) => key.Length + 1 + EncodedLength(value);

        /// <summary>baggage-octet: printable ASCII except space, <c>"</c>, <c>%</c>, <c>,</c>, <c>;</c> and <c>\</c>.</summary>
        public static bool IsBaggageOctet(char c) =>
            c > 0x20 && c < 0x7F && c != '"' && c != '%' && c != ',' && c != ';' && c != '\\';

        /// <summary>Percent-encodes <paramref name="value"/> as the propagator does (for tests and diagnostics).</summary>
        public static string Encode(string value)
        {
            var sb = new StringBuilder(value.Length);
            var bytes = new UTF8Encoding(false, false).GetBytes(value);
            foreach (var b in bytes)
            {
                if (b < 0x80 && IsBaggageOctet((char)b))
                {
                    sb.Append((char)b);
                }
                else
                {
                    sb.Append('%').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 0xF]);
                }
            }

            return sb.ToString();
        }
    }
}
