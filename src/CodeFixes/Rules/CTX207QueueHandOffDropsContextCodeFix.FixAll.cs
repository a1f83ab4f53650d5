using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ContextAnalyzers.Rules
{
    // Fix All: each diagnostic re-planned, in order, on the solution the previous fixes produced.
    public sealed partial class CTX207QueueHandOffDropsContextCodeFix
    {
        /// <summary>Fix All: each diagnostic, in order, re-planned on the solution the previous ones produced.</summary>
        private sealed class CTX207FixAll : FixAllProvider
        {
            public static readonly CTX207FixAll Instance = new();

            public override IEnumerable<FixAllScope> GetSupportedFixAllScopes()
                => new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

            public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
            {
                if (fixAllContext.CodeActionEquivalenceKey != UseContextEnvelopeKey)
                {
                    return null;
                }

                var diagnostics = new List<Diagnostic>();
                switch (fixAllContext.Scope)
                {
                    case FixAllScope.Document when fixAllContext.Document is not null:
                        diagnostics.AddRange(await fixAllContext.GetDocumentDiagnosticsAsync(fixAllContext.Document).ConfigureAwait(false));
                        break;
                    case FixAllScope.Project:
                        diagnostics.AddRange(await fixAllContext.GetAllDiagnosticsAsync(fixAllContext.Project).ConfigureAwait(false));
                        break;
                    case FixAllScope.Solution:
                        foreach (var project in fixAllContext.Solution.Projects)
                        {
                            diagnostics.AddRange(await fixAllContext.GetAllDiagnosticsAsync(project).ConfigureAwait(false));
                        }

                        break;
                }

                var solution = fixAllContext.Solution;
                var ordered = diagnostics
                    .Where(d => d.Id == DiagnosticIds.QueueHandOffDropsContext && d.Location.IsInSource && solution.GetDocumentId(d.Location.SourceTree) is not null)
                    .OrderBy(d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal)
                    .ThenBy(d => d.Location.SourceSpan.Start)
                    .ToList();
                if (ordered.Count == 0)
                {
                    return null;
                }

                return CodeAction.Create(Title, ct => ApplyAsync(solution, ordered, ct), UseContextEnvelopeKey);
            }

            private static async Task<Solution> ApplyAsync(Solution solution, List<Diagnostic> diagnostics, CancellationToken cancellationToken)
            {
                // Track each diagnostic's node through the edits with an annotation.
                var tracked = new List<(DocumentId Document, SyntaxAnnotation Annotation)>();
                foreach (var group in diagnostics.GroupBy(d => solution.GetDocumentId(d.Location.SourceTree)!))
                {
                    var root = await solution.GetDocument(group.Key)!.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                    if (root is null)
                    {
                        continue;
                    }

                    var nodes = new Dictionary<SyntaxNode, SyntaxAnnotation>();
                    foreach (var diagnostic in group)
                    {
                        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                        if (!nodes.ContainsKey(node))
                        {
                            var annotation = new SyntaxAnnotation("CTX207.FixAll");
                            nodes.Add(node, annotation);
                            tracked.Add((group.Key, annotation));
                        }
                    }

                    solution = solution.WithDocumentSyntaxRoot(group.Key, root.ReplaceNodes(nodes.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(nodes[original])));
                }

                foreach (var (documentId, annotation) in tracked)
                {
                    var document = solution.GetDocument(documentId);
                    var root = document is null ? null : await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                    var target = root?.GetAnnotatedNodes(annotation).FirstOrDefault();
                    if (target is not null)
                    {
                        solution = await RewriteAsync(solution, documentId, target.Span, cancellationToken).ConfigureAwait(false) ?? solution;
                    }
                }

                return solution;
            }
        }
    }
}
