using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// A Fix All that applies the fixes of a document one by one, in document order, re-planning each on the edited
    /// document (a fix that no longer applies does nothing): for fixes whose edits overlap (a try that wraps the rest of a
    /// block) or that introduce names. The result is what applying the fixes one at a time in the IDE gives.
    /// </summary>
    internal static class SequentialFixAll
    {
        public static FixAllProvider Create(Func<Document, Microsoft.CodeAnalysis.Text.TextSpan, string, CancellationToken, Task<Document>> apply, bool includeAdditionalLocations = false)
            => FixAllProvider.Create(async (context, document, diagnostics) =>
            {
                var key = context.CodeActionEquivalenceKey;
                if (key is null || diagnostics.IsEmpty)
                {
                    return document;
                }

                return await ApplyInOrderAsync(document, diagnostics.SelectMany(d => Spans(d, document, includeAdditionalLocations)), key, apply, context.CancellationToken).ConfigureAwait(false);
            });

        /// <summary>The diagnostic's span, and with <paramref name="includeAdditionalLocations"/> the spans of its additional locations in the same document.</summary>
        public static IEnumerable<Microsoft.CodeAnalysis.Text.TextSpan> Spans(Diagnostic diagnostic, Document document, bool includeAdditionalLocations)
        {
            yield return diagnostic.Location.SourceSpan;

            // Additional locations that only show context (another method's code) are not changes of this diagnostic.
            if (includeAdditionalLocations && !diagnostic.Properties.ContainsKey(CTX101HelperCalledPerMessage.ContextLocationsProperty))
            {
                foreach (var location in diagnostic.AdditionalLocations)
                {
                    if (location.IsInSource && location.SourceTree?.FilePath == document.FilePath)
                    {
                        yield return location.SourceSpan;
                    }
                }
            }
        }

        /// <summary>Applies the fix at each span in document order, each planned again on the document the previous ones left.</summary>
        public static async Task<Document> ApplyInOrderAsync(
            Document document,
            IEnumerable<Microsoft.CodeAnalysis.Text.TextSpan> spans,
            string key,
            Func<Document, Microsoft.CodeAnalysis.Text.TextSpan, string, CancellationToken, Task<Document>> apply,
            CancellationToken cancellationToken)
        {
            // Track each span's node through the edits with an annotation.
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            var annotations = new List<SyntaxAnnotation>();
            var nodes = new Dictionary<SyntaxNode, SyntaxAnnotation>();
            foreach (var span in spans.Distinct().OrderBy(s => s.Start))
            {
                var node = root.FindNode(span, getInnermostNodeForTie: true);
                if (!nodes.ContainsKey(node))
                {
                    var annotation = new SyntaxAnnotation("CTX10x.FixAll");
                    nodes.Add(node, annotation);
                    annotations.Add(annotation);
                }
            }

            document = document.WithSyntaxRoot(root.ReplaceNodes(nodes.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(nodes[original])));
            foreach (var annotation in annotations)
            {
                var currentRoot = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                var target = currentRoot?.GetAnnotatedNodes(annotation).FirstOrDefault();
                if (target is not null)
                {
                    document = await apply(document, target.Span, key, cancellationToken).ConfigureAwait(false);
                }
            }

            return document;
        }
    }
}
