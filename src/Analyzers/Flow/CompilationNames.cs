using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// A set of method names decided once per compilation from the syntax of its files (the start helpers, the per-message
    /// helper candidates): rules gate their bodies on it with <see cref="ActivityStarts.MentionsAny"/>. One thread
    /// computes and the others wait; a cancelled computation stores nothing (the next caller computes again), unlike a
    /// <c>Lazy</c>, which would keep the exception. Most of the cost is the name index of every file, which the other
    /// rules need too: a caller that would wait builds indexes instead, from the other end of the list.
    /// </summary>
    internal sealed class CompilationNames
    {
        private readonly ConditionalWeakTable<Compilation, StrongBox<ImmutableHashSet<string>?>> table =
            new ConditionalWeakTable<Compilation, StrongBox<ImmutableHashSet<string>?>>();

        private readonly Func<KnownTypes, CancellationToken, ImmutableHashSet<string>> compute;
        private int callers;

        public CompilationNames(Func<KnownTypes, CancellationToken, ImmutableHashSet<string>> compute) => this.compute = compute;

        public ImmutableHashSet<string> Get(KnownTypes types, CancellationToken cancellationToken)
        {
            var box = table.GetValue(types.Compilation, _ => new StrongBox<ImmutableHashSet<string>?>());
            if (Volatile.Read(ref box.Value) is { } known)
            {
                return known;
            }

            var trees = types.Compilation.SyntaxTrees as IReadOnlyList<SyntaxTree> ?? types.Compilation.SyntaxTrees.ToList();
            var reverse = (Interlocked.Increment(ref callers) & 1) == 0;
            for (var i = 0; i < trees.Count && Volatile.Read(ref box.Value) is null; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                NameIndex.Get(trees[reverse ? trees.Count - 1 - i : i], cancellationToken);
            }

            lock (box)
            {
                if (box.Value is null)
                {
                    Volatile.Write(ref box.Value, compute(types, cancellationToken));
                }

                return box.Value!;
            }
        }

        /// <summary>
        /// The methods declared in the files whose name index has any of <paramref name="wanted"/>, with that index; only
        /// type members are visited (no method body, initialiser or signature is descended into).
        /// </summary>
        public static IEnumerable<(MethodDeclarationSyntax Method, NameIndex Index)> Methods(Compilation compilation, Names wanted, CancellationToken cancellationToken)
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var index = NameIndex.Get(tree, cancellationToken);
                if ((index.In(new Microsoft.CodeAnalysis.Text.TextSpan(0, int.MaxValue)) & wanted) == Names.None)
                {
                    continue;
                }

                foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
                {
                    if (node is MethodDeclarationSyntax method)
                    {
                        yield return (method, index);
                    }
                }
            }
        }
    }
}
