using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>One span marked in test source: <c>[|x|]</c> (Id null, Key null), <c>{|CTX101:x|}</c> or <c>{|#0:x|}</c>.</summary>
public sealed record MarkedSpan(string? Id, int? Key, TextSpan Span);

/// <summary>
/// Parses the markup conventions of Microsoft.CodeAnalysis.Testing: <c>[|...|]</c> (the analyzer's only rule),
/// <c>{|ID:...|}</c> (a diagnostic with that ID, compiler IDs such as CS0103 included), <c>{|#n:...|}</c>
/// (a located expectation that a test completes with <c>WithLocation(n)</c>). Spans nest. Unbalanced markup throws.
/// </summary>
public static class Markup
{
    public static (string Text, IReadOnlyList<MarkedSpan> Spans) Parse(string markup)
    {
        var output = new StringBuilder(markup.Length);
        var spans = new List<MarkedSpan>();
        var open = new Stack<(string? Id, int? Key, int Start, int MarkupOffset, bool Square)>();
        var i = 0;
        while (i < markup.Length)
        {
            if (Starts(markup, i, "[|"))
            {
                open.Push((null, null, output.Length, i, true));
                i += 2;
            }
            else if (Starts(markup, i, "|]"))
            {
                if (open.Count == 0 || !open.Peek().Square)
                {
                    throw new InvalidOperationException($"Unbalanced markup: '|]' at offset {i} closes nothing that '[|' opened.\n{Context(markup, i)}");
                }

                var o = open.Pop();
                spans.Add(new MarkedSpan(null, null, TextSpan.FromBounds(o.Start, output.Length)));
                i += 2;
            }
            else if (Starts(markup, i, "{|"))
            {
                var colon = markup.IndexOf(':', i + 2);
                var name = colon < 0 ? null : markup.Substring(i + 2, colon - i - 2);
                if (name is null || name.Length == 0 || name.Any(c => !(char.IsLetterOrDigit(c) || c == '#' || c == '_')))
                {
                    throw new InvalidOperationException($"Malformed markup at offset {i}: expected '{{|ID:' or '{{|#n:'.\n{Context(markup, i)}");
                }

                if (name.StartsWith('#'))
                {
                    if (!int.TryParse(name.AsSpan(1), out var key))
                    {
                        throw new InvalidOperationException($"Malformed location key '{name}' at offset {i}.\n{Context(markup, i)}");
                    }

                    open.Push((null, key, output.Length, i, false));
                }
                else
                {
                    open.Push((name, null, output.Length, i, false));
                }

                i = colon + 1;
            }
            else if (Starts(markup, i, "|}"))
            {
                if (open.Count == 0 || open.Peek().Square)
                {
                    throw new InvalidOperationException($"Unbalanced markup: '|}}' at offset {i} closes nothing that '{{|' opened.\n{Context(markup, i)}");
                }

                var o = open.Pop();
                spans.Add(new MarkedSpan(o.Id, o.Key, TextSpan.FromBounds(o.Start, output.Length)));
                i += 2;
            }
            else
            {
                output.Append(markup[i]);
                i++;
            }
        }

        if (open.Count > 0)
        {
            var o = open.Peek();
            throw new InvalidOperationException($"Unbalanced markup: '{(o.Square ? "[|" : "{|")}' at offset {o.MarkupOffset} is never closed.\n{Context(markup, o.MarkupOffset)}");
        }

        var keys = spans.Where(s => s.Key is not null).GroupBy(s => s.Key).FirstOrDefault(g => g.Count() > 1);
        if (keys is not null)
        {
            throw new InvalidOperationException($"Markup location key #{keys.Key} is used more than once.");
        }

        spans.Sort((a, b) => a.Span.Start != b.Span.Start ? a.Span.Start.CompareTo(b.Span.Start) : a.Span.End.CompareTo(b.Span.End));
        return (output.ToString(), spans);
    }

    private static bool Starts(string s, int i, string token) => string.CompareOrdinal(s, i, token, 0, token.Length) == 0;

    private static string Context(string markup, int offset)
    {
        var lineStart = markup.LastIndexOf('\n', Math.Max(0, offset - 1)) + 1;
        var lineEnd = markup.IndexOf('\n', offset);
        if (lineEnd < 0)
        {
            lineEnd = markup.Length;
        }

        var line = markup[lineStart..lineEnd].TrimEnd('\r');
        return line + "\n" + new string(' ', offset - lineStart) + "^";
    }
}
