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
        public static FixAllProvider Create(Func<Document, Microsoft.CodeAnalysis.Text.TextSpan, string, CancellationToken, Task<Document>> apply)
            => FixAllProvider.Create(async (context, document, diagnostics) =>
            {
                var key = context.CodeActionEquivalenceKey;
                if (key is null || diagnostics.IsEmpty)
                {
                    return document;
                }

                // Track each diagnostic's node through the edits with an annotation.
                var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                if (root is null)
                {
                    return document;
                }

                var annotations = new List<SyntaxAnnotation>();
                var nodes = new Dictionary<SyntaxNode, SyntaxAnnotation>();
                foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
                {
                    var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
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
                    var currentRoot = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                    var target = currentRoot?.GetAnnotatedNodes(annotation).FirstOrDefault();
                    if (target is not null)
                    {
                        document = await apply(document, target.Span, key, context.CancellationToken).ConfigureAwait(false);
                    }
                }

                return document;
            });
    }
}
