using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>One span marked in test source: <c>[|x|]</c> (Id null, Key null), <c>{|CTX101:x|}</c> or <c>{|#0:x|}</c>.</summary>
public sealed record MarkedSpan(string? Id, int? Key, TextSpan Span);

/// <summary>The framework's markup (<see cref="TestFileMarkupParser"/>) as plain text and spans, for tests that build compilations themselves.</summary>
public static class Markup
{
    public static (string Text, IReadOnlyList<MarkedSpan> Spans) Parse(string markup)
    {
        TestFileMarkupParser.GetSpans(markup, treatPositionIndicatorsAsCode: true, out var text, out ImmutableDictionary<string, ImmutableArray<TextSpan>> spans);
        var result = new List<MarkedSpan>();
        foreach (var (name, list) in spans)
        {
            foreach (var span in list)
            {
                result.Add(name.Length == 0 ? new MarkedSpan(null, null, span)
                    : name.StartsWith('#') ? new MarkedSpan(null, int.Parse(name.AsSpan(1)), span)
                    : new MarkedSpan(name, null, span));
            }
        }

        return (text, result.OrderBy(s => s.Span.Start).ThenBy(s => s.Span.Length).ToList());
    }
}
