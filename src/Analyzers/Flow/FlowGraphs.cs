using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// The control-flow graph of an operation block, built once per block and shared by every rule that needs it
    /// (CTX102 asks once per started activity, several starts in one method used to build several graphs). The driver
    /// shares operation trees between analyzers; the weak table lets the graph die with its tree.
    /// </summary>
    internal static class FlowGraphs
    {
        private static readonly ConditionalWeakTable<IOperation, StrongBox<ControlFlowGraph?>> Graphs = new ConditionalWeakTable<IOperation, StrongBox<ControlFlowGraph?>>();

        /// <summary>
        /// The graph of <paramref name="root"/> (a method or constructor body, a top-level block, or a field, property or
        /// parameter initializer), or <see langword="null"/> when it is not a root the graph builder accepts.
        /// </summary>
        public static ControlFlowGraph? Get(IOperation root, CancellationToken cancellationToken)
        {
            if (Graphs.TryGetValue(root, out var box))
            {
                return box.Value;
            }

            // Built outside the table's lock; a cancelled build caches nothing.
            var graph = Create(root, cancellationToken);
            return Graphs.GetValue(root, _ => new StrongBox<ControlFlowGraph?>(graph)).Value;
        }

        private static ControlFlowGraph? Create(IOperation root, CancellationToken cancellationToken)
        {
            try
            {
                return root switch
                {
                    IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
                    IConstructorBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
                    IBlockOperation { Parent: null } block => ControlFlowGraph.Create(block, cancellationToken),
                    IFieldInitializerOperation initializer => ControlFlowGraph.Create(initializer, cancellationToken),
                    IPropertyInitializerOperation initializer => ControlFlowGraph.Create(initializer, cancellationToken),
                    IParameterInitializerOperation initializer => ControlFlowGraph.Create(initializer, cancellationToken),
                    _ => null,
                };
            }
            catch (ArgumentException)
            {
                return null; // not a root the graph builder accepts (half-typed code)
            }
        }
    }
}
