using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// A per-method summary computed once per compilation, lazily, for the methods a rule actually asks about (keyed by
    /// the method's original definition; the table dies with the compilation).
    /// </summary>
    internal sealed class MethodSummaries<T>
    {
        private readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, StrongBox<T>>> table =
            new ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, StrongBox<T>>>();

        private readonly Func<IMethodSymbol, CancellationToken, T> compute;

        public MethodSummaries(Func<IMethodSymbol, CancellationToken, T> compute) => this.compute = compute;

        public T Get(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
        {
            var definition = method.OriginalDefinition;
            var cache = table.GetValue(compilation, _ => new ConcurrentDictionary<IMethodSymbol, StrongBox<T>>(SymbolEqualityComparer.Default));
            if (cache.TryGetValue(definition, out var known))
            {
                return known.Value;
            }

            // Computed outside the dictionary's lock; a cancelled computation caches nothing.
            var result = compute(definition, cancellationToken);
            return cache.GetOrAdd(definition, new StrongBox<T>(result)).Value;
        }
    }
}
