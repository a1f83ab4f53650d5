using ContextAnalyzers.Rules;
using ContextAnalyzers.Flow;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// <see cref="ActivityLifetime.Analyze"/> directly: the reusable contract CTX102 stands on. Each snippet starts the
/// activity held by the local <c>a</c> with the first <c>StartActivity</c> call.
/// </summary>
public class CTX102ActivityLifetimeTests
{
    [Theory]
    [InlineData("var a = S.StartActivity(\"x\"); try { W(); } finally { a?.Stop(); }", "Ended")]
    [InlineData("var a = S.StartActivity(\"x\"); if (a == null) return; try { W(); } finally { a.Dispose(); }", "Ended")]
    [InlineData("var a = S.StartActivity(\"x\"); a?.Stop();", "Ended")]
    [InlineData("var a = S.StartActivity(\"x\"); Keep(a);", "Transferred")]
    [InlineData("var a = S.StartActivity(\"x\"); Tag(a);", "NotEndedOnSomePath")]
    [InlineData("var a = S.StartActivity(\"x\"); Tag(a); a?.Stop();", "NotEndedOnException")]
    [InlineData("var a = S.StartActivity(\"x\"); try { Tag(a); } finally { a?.Stop(); }", "Ended")]
    [InlineData("var a = S.StartActivity(\"x\"); var b = a; b?.Stop();", "Transferred")]
    [InlineData("var a = S.StartActivity(\"x\"); Action f = () => a?.Stop(); f();", "Transferred")]
    [InlineData("var a = S.StartActivity(\"x\"); if (c) return; a?.Stop();", "NotEndedOnSomePath")]
    [InlineData("var a = S.StartActivity(\"x\"); if (c) throw new Exception(); a?.Stop();", "NotEndedOnSomePath")]
    [InlineData("var a = S.StartActivity(\"x\"); W(); a?.Stop();", "NotEndedOnException")]
    [InlineData("Activity? a = null; while (c) { a = S.StartActivity(\"x\"); } a?.Stop();", "Overwritten")]
    public async Task Outcome(string body, string expected)
    {
        var source = """
            using System;
            using System.Diagnostics;
            class C
            {
                static readonly ActivitySource S = new("s");
                static void W() { }
                static Activity? kept;
                static void Keep(Activity? a) => kept = a;
                static void Tag(Activity? a) { a?.SetTag("k", 1); }
                void M(bool c)
                {
            """ + body + """

                }
            }
            """;
        var test = AnalyzerVerifier<ContextAnalyzers.Rules.CTX102ActivityNotEndedAnalyzer>.Create();
        var project = test.CreateProject(new[] { source });
        var compilation = (await project.GetCompilationAsync())!;
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var root = await tree.GetRootAsync();
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var start = root.DescendantNodes().OfType<InvocationExpressionSyntax>().First(i => i.ToString().StartsWith("S.StartActivity", StringComparison.Ordinal));
        var local = root.DescendantNodes().OfType<VariableDeclaratorSyntax>().Select(d => model.GetDeclaredSymbol(d)).OfType<ILocalSymbol>().First(l => l.Name == "a");
        var operation = (IInvocationOperation)model.GetOperation(start)!;

        Assert.Equal(expected, ActivityLifetime.Analyze(operation, local, FlowGraphSource.Uncached(CancellationToken.None)).ToString());
    }
}
