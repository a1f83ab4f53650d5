using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>
/// Turns the diagnostic markup of a state's sources (<c>[|...|]</c>, <c>{|ID:...|}</c>) into the framework's
/// <see cref="DiagnosticResult"/>s before the framework reads them, the way newer versions of the framework treat
/// markup: ID and span are checked, severity and message are not (an explicit result checks them), and additional
/// locations are compared only when a test declares them (<c>.WithLocation(0).WithLocation(1)</c>). Framework 1.1.4
/// compares additional locations of markup diagnostics, which markup cannot declare; several rules report the
/// statement a fix rewrites as one. <c>{|#n:...|}</c> stays for the framework.
/// </summary>
internal static class MarkupExpectations
{
    public static void Convert(SolutionState state, DiagnosticDescriptor? defaultDiagnostic, ImmutableArray<DiagnosticDescriptor> supported)
    {
        for (var i = 0; i < state.ExpectedDiagnostics.Count; i++)
        {
            var e = WithArgumentsChecked(state.ExpectedDiagnostics[i], supported);
            if (e.Spans.Length <= 1)
            {
                e = e.WithOptions(e.Options | DiagnosticOptions.IgnoreAdditionalLocations);
            }

            state.ExpectedDiagnostics[i] = e;
        }

        var sources = state.Sources.ToList();
        state.Sources.Clear();
        foreach (var (path, content) in sources)
        {
            var (kept, results) = Split(content.ToString(), path, defaultDiagnostic, supported);
            state.Sources.Add((path, SourceText.From(kept, content.Encoding, content.ChecksumAlgorithm)));
            state.ExpectedDiagnostics.AddRange(results);
        }
    }

    /// <summary>
    /// <c>Diagnostic(id).WithArguments(..)</c> checks the message: the framework keeps a message suppressed by
    /// <c>WithMessage(null)</c> (which <c>Diagnostic(id)</c> sets) even after <c>WithArguments</c>, so the arguments are
    /// formatted here into the rule's sentence, which the framework then compares. A rule with several sentences under its
    /// ID cannot tell which one the arguments fill in: such a test states the sentence with <c>WithMessage</c>.
    /// </summary>
    internal static DiagnosticResult WithArgumentsChecked(DiagnosticResult expected, ImmutableArray<DiagnosticDescriptor> supported)
    {
        if (expected.MessageArguments is not { } arguments || expected.Message is not null)
        {
            return expected;
        }

        var descriptors = supported.Where(d => d.Id == expected.Id).ToList();
        if (descriptors.Count == 0)
        {
            return expected;
        }

        if (descriptors.Count > 1)
        {
            throw new InvalidOperationException($"{expected.Id} has {descriptors.Count} messages, so WithArguments cannot say which one it fills in: assert the sentence with WithMessage(\"...\").");
        }

        var format = descriptors[0].MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var placeholders = System.Text.RegularExpressions.Regex.Matches(format, @"\{[0-9]+\}").Cast<System.Text.RegularExpressions.Match>().Select(m => m.Value).Distinct().Count();
        if (placeholders != arguments.Length)
        {
            throw new InvalidOperationException($"{expected.Id}: WithArguments gives {arguments.Length} argument(s), but the message '{format}' takes {placeholders}.");
        }

        return expected.WithMessage(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arguments));
    }

    /// <summary>The text with only <c>{|#n:</c> markup left, and the results of the other markup (spans in the plain text).</summary>
    private static (string Kept, List<DiagnosticResult> Results) Split(string markup, string path, DiagnosticDescriptor? defaultDiagnostic, ImmutableArray<DiagnosticDescriptor> supported)
    {
        var kept = new StringBuilder(markup.Length);
        var plain = new StringBuilder(markup.Length);
        var open = new Stack<(string? Id, bool Keep, int Start, bool Square)>();
        var spans = new List<(string? Id, int Start, int End)>();
        var i = 0;
        while (i < markup.Length)
        {
            if (At(markup, i, "[|"))
            {
                open.Push((null, false, plain.Length, true));
                i += 2;
            }
            else if (At(markup, i, "|]") && open.Count > 0 && open.Peek().Square)
            {
                var o = open.Pop();
                spans.Add((null, o.Start, plain.Length));
                i += 2;
            }
            else if (At(markup, i, "{|") && markup.IndexOf(':', i + 2) is var colon and > 0 && IsName(markup.AsSpan(i + 2, colon - i - 2)))
            {
                var name = markup.Substring(i + 2, colon - i - 2);
                var keep = name.StartsWith('#');
                open.Push((name, keep, plain.Length, false));
                if (keep)
                {
                    kept.Append(markup, i, colon + 1 - i);
                }

                i = colon + 1;
            }
            else if (At(markup, i, "|}") && open.Count > 0 && !open.Peek().Square)
            {
                var o = open.Pop();
                if (o.Keep)
                {
                    kept.Append("|}");
                }
                else
                {
                    spans.Add((o.Id, o.Start, plain.Length));
                }

                i += 2;
            }
            else
            {
                kept.Append(markup[i]);
                plain.Append(markup[i]);
                i++;
            }
        }

        if (open.Count > 0)
        {
            throw new InvalidOperationException($"Unbalanced markup in {path}: '{(open.Peek().Square ? "[|" : "{|" + open.Peek().Id + ":")}' is never closed.");
        }

        var text = SourceText.From(plain.ToString());
        var results = new List<DiagnosticResult>();
        foreach (var (id, start, end) in spans)
        {
            DiagnosticResult result;
            if (id is null)
            {
                result = new DiagnosticResult(defaultDiagnostic ?? throw new InvalidOperationException("'[|...|]' markup needs an analyzer with exactly one rule; use '{|ID:...|}'."));
            }
            else if (supported.FirstOrDefault(d => d.Id == id) is { } descriptor)
            {
                result = new DiagnosticResult(descriptor);
            }
            else
            {
                result = new DiagnosticResult(id, id.StartsWith("CS", StringComparison.Ordinal) ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning);
            }

            var lines = text.Lines.GetLinePositionSpan(TextSpan.FromBounds(start, end));
            results.Add(result.WithSpan(new FileLinePositionSpan(path, lines)).WithMessage(null).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations | DiagnosticOptions.IgnoreSeverity));
        }

        return (kept.ToString(), results);
    }

    private static bool At(string s, int i, string token) => string.CompareOrdinal(s, i, token, 0, token.Length) == 0;

    private static bool IsName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsLetterOrDigit(c) || c == '#' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}
