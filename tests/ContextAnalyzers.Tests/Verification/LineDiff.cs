using System.Text;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>A small LCS line diff: '-' expected only, '+' actual only, ' ' both.</summary>
public static class LineDiff
{
    public static string Render(string expected, string actual)
    {
        var a = expected.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var b = actual.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var sb = new StringBuilder("--- expected\n+++ actual\n");
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                sb.Append("  ").AppendLine(Visible(a[x]));
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                sb.Append("+ ").AppendLine(Visible(b[y]));
                y++;
            }
            else
            {
                sb.Append("- ").AppendLine(Visible(a[x]));
                x++;
            }
        }

        return sb.ToString();
    }

    // Trailing white space is the usual invisible difference: show it.
    private static string Visible(string line) => line.Length > 0 && char.IsWhiteSpace(line[^1]) ? line + "⏎(trailing white space)" : line;
}
