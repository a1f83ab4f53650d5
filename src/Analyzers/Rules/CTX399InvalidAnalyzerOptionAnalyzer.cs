using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ContextAnalyzers.Rules
{
    /// <summary>CTX399: an invalid <c>ctx_analyzers.sensitive_words</c> or <c>ctx_analyzers.allowed_baggage_keys</c> value, reported once per file.</summary>
    public sealed partial class CTX301SensitiveBaggageAnalyzer
    {
        private sealed partial class Analysis
        {
            // ------------------------------------------------------------------ CTX399

            public void ReportInvalidOptions(SyntaxTreeAnalysisContext context)
            {
                var options = GetOptions(context.Options, context.Tree);
                if (options.Errors.IsEmpty)
                {
                    return;
                }

                // Once per file, at the first call that looks like a baggage write (a syntactic scan: it runs only when an
                // option of this file is invalid, and it is deterministic, unlike "the first write analysed").
                var root = context.Tree.GetRoot(context.CancellationToken);
                foreach (var node in root.DescendantNodes())
                {
                    if (node is InvocationExpressionSyntax invocation && LooksLikeBaggageWrite(invocation.Expression))
                    {
                        foreach (var (option, error) in options.Errors)
                        {
                            var at = invocation.Expression switch
                            {
                                MemberAccessExpressionSyntax member => member.Name.GetLocation(),
                                MemberBindingExpressionSyntax binding => binding.Name.GetLocation(),
                                _ => invocation.Expression.GetLocation(),
                            };
                            context.ReportDiagnostic(error.ToDiagnostic(at, option));
                        }

                        return;
                    }
                }
            }

            private static bool LooksLikeBaggageWrite(ExpressionSyntax expression)
            {
                switch (expression)
                {
                    case MemberAccessExpressionSyntax member:
                        var name = member.Name.Identifier.ValueText;
                        return name == "SetBaggage" || name == "AddBaggage" ||
                               (name == "Create" && member.Expression is IdentifierNameSyntax { Identifier.ValueText: "Baggage" } or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Baggage" });
                    case MemberBindingExpressionSyntax binding:
                        return binding.Name.Identifier.ValueText is "SetBaggage" or "AddBaggage";
                    default:
                        return false;
                }
            }
        }
    }
}
