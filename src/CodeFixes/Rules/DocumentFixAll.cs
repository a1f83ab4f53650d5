using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// A fix computed for every diagnostic of a document at once, on the original document, and applied in one
    /// <c>ReplaceNodes</c>: an edit nested in another one's node is applied first and the outer
    /// edit rewrites the node that already holds it, and the runtime <c>using</c> is added once. The single fix is the same
    /// code with one diagnostic, so Fix All gives in one pass what fixing one diagnostic at a time gives (the batch merge
    /// of separately fixed documents can drop an edit that overlaps another one and leave its diagnostic for a second pass).
    /// </summary>
    internal static class DocumentFixAll
    {
        /// <summary>One edit: the node to replace, and its replacement built from that node with the nested edits applied.</summary>
        internal readonly struct Edit
        {
            public Edit(SyntaxNode target, Func<SyntaxNode, SyntaxNode> rewrite, bool namesRuntimeBySimpleName)
            {
                Target = target;
                Rewrite = rewrite;
                NamesRuntimeBySimpleName = namesRuntimeBySimpleName;
            }

            public SyntaxNode Target { get; }

            public Func<SyntaxNode, SyntaxNode> Rewrite { get; }

            /// <summary>The replacement writes a runtime type by its simple name: the document needs the runtime <c>using</c>.</summary>
            public bool NamesRuntimeBySimpleName { get; }
        }

        /// <summary>The Fix All of a fixer whose <paramref name="fix"/> handles any number of a document's diagnostics for one equivalence key.</summary>
        public static FixAllProvider Create(Func<Document, ImmutableArray<Diagnostic>, string, CancellationToken, Task<Document>> fix)
            => FixAllProvider.Create(async (context, document, diagnostics) =>
            {
                var key = context.CodeActionEquivalenceKey;
                if (key is null || diagnostics.IsEmpty)
                {
                    return document;
                }

                return await fix(document, diagnostics, key, context.CancellationToken).ConfigureAwait(false);
            });

        /// <summary>Applies <paramref name="edits"/> (computed on <paramref name="root"/>) in one rewrite; the first edit of a node wins.</summary>
        public static Document Apply(Document document, SyntaxNode root, IReadOnlyList<Edit> edits)
        {
            if (edits.Count == 0)
            {
                return document;
            }

            var byNode = new Dictionary<SyntaxNode, Edit>();
            foreach (var edit in edits)
            {
                if (!byNode.ContainsKey(edit.Target))
                {
                    byNode.Add(edit.Target, edit);
                }
            }

            var rewritten = root.ReplaceNodes(byNode.Keys, (original, withNested) => byNode[original].Rewrite(withNested));
            return document.WithSyntaxRoot(RuntimeImport.EnsureUsing(rewritten, edits.Any(e => e.NamesRuntimeBySimpleName)));
        }
    }
}
