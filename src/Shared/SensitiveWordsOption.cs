using System;
using System.Collections.Generic;

namespace ContextAnalyzers.Shared
{
    /// <summary>
    /// Parses the option syntax shared by <c>.editorconfig</c> (<c>ctx_analyzers.sensitive_words</c>) and the runtime:
    /// a comma-separated list where <c>+entry</c> (or a bare entry) ADDS to the defaults and <c>-entry</c> REMOVES a
    /// default entry. The defaults are never replaced. An entry is one or more words (letters and digits separated by
    /// spaces, <c>.</c>, <c>_</c>, <c>-</c> or camelCase). Invalid entries are reported in <see cref="Errors"/> and ignored.
    /// </summary>
    internal sealed class SensitiveWordsOption
    {
        /// <summary>What is wrong with an entry; the analyzers hold the sentence for each.</summary>
        public enum Problem
        {
            /// <summary>The entry is not a word list (only letters, digits, spaces, '.', '_' or '-', after an optional sign).</summary>
            NotAWordList,

            /// <summary>A <c>-entry</c> that removes a word which is not a default entry.</summary>
            RemovesUnknownWord,

            /// <summary>An allowed baggage key that is not a W3C token.</summary>
            NotABaggageKey,
        }

        private SensitiveWordsOption(List<string> added, List<string> removed, List<(Problem, string, string)> errors)
        {
            Added = added;
            Removed = removed;
            Errors = errors;
        }

        public IReadOnlyList<string> Added { get; }

        public IReadOnlyList<string> Removed { get; }

        /// <summary>The invalid entries: what is wrong, the entry as written, and the word it names (without its sign).</summary>
        public IReadOnlyList<(Problem Problem, string Entry, string Word)> Errors { get; }

        public static SensitiveWordsOption Parse(string? value)
        {
            var added = new List<string>();
            var removed = new List<string>();
            var errors = new List<(Problem, string, string)>();
            if (value is null)
            {
                return new SensitiveWordsOption(added, removed, errors);
            }

            foreach (var raw in value.Split(','))
            {
                var item = raw.Trim();
                if (item.Length == 0)
                {
                    continue;
                }

                var sign = item[0];
                var body = sign == '+' || sign == '-' ? item.Substring(1).Trim() : item;
                if (!IsValidEntry(body))
                {
                    errors.Add((Problem.NotAWordList, item, body));
                    continue;
                }

                if (sign == '-')
                {
                    if (!SensitiveWords.IsDefaultEntry(body))
                    {
                        errors.Add((Problem.RemovesUnknownWord, item, body));
                        continue;
                    }

                    removed.Add(body);
                }
                else
                {
                    added.Add(body);
                }
            }

            return new SensitiveWordsOption(added, removed, errors);
        }

        /// <summary>Parses a comma-separated list of exact baggage keys; keys that are not W3C tokens are errors.</summary>
        public static IReadOnlyList<string> ParseKeys(string? value, List<(Problem Problem, string Entry, string Word)> errors)
        {
            var keys = new List<string>();
            if (value is null)
            {
                return keys;
            }

            foreach (var raw in value.Split(','))
            {
                var key = raw.Trim();
                if (key.Length == 0)
                {
                    continue;
                }

                if (!BaggageLimits.IsToken(key))
                {
                    errors.Add((Problem.NotABaggageKey, key, key));
                    continue;
                }

                keys.Add(key);
            }

            return keys;
        }

        private static bool IsValidEntry(string body)
        {
            var hasWordChar = false;
            foreach (var c in body)
            {
                if (char.IsLetterOrDigit(c))
                {
                    hasWordChar = true;
                }
                else if (c != ' ' && c != '.' && c != '_' && c != '-')
                {
                    return false;
                }
            }

            return hasWordChar;
        }
    }
}
