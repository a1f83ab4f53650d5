using System;
using System.Collections.Generic;
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

        /// <summary>
        /// The graph of a lambda or local function nested (at one level) in <paramref name="cfg"/>, or
        /// <see langword="null"/> when the graph does not contain it (half-typed code).
        /// </summary>
        public static ControlFlowGraph? NestedGraph(ControlFlowGraph cfg, IOperation function, CancellationToken cancellationToken)
        {
            if (function is ILocalFunctionOperation localFunction)
            {
                foreach (var declared in cfg.LocalFunctions)
                {
                    if (SymbolEqualityComparer.Default.Equals(declared, localFunction.Symbol))
                    {
                        return cfg.GetLocalFunctionControlFlowGraph(declared, cancellationToken);
                    }
                }

                return null;
            }

            if (function is not IAnonymousFunctionOperation lambda)
            {
                return null;
            }

            foreach (var block in cfg.Blocks)
            {
                foreach (var operation in BlockOperations(block))
                {
                    foreach (var candidate in operation.DescendantsAndSelf())
                    {
                        if (candidate is IFlowAnonymousFunctionOperation flow && SymbolEqualityComparer.Default.Equals(flow.Symbol, lambda.Symbol))
                        {
                            return cfg.GetAnonymousFunctionControlFlowGraph(flow, cancellationToken);
                        }
                    }
                }
            }

            return null;
        }

        /// <summary>A block's operations followed by its branch value: one index space for the path walks.</summary>
        public static IEnumerable<IOperation> BlockOperations(BasicBlock block)
        {
            foreach (var operation in block.Operations)
            {
                yield return operation;
            }

            if (block.BranchValue is not null)
            {
                yield return block.BranchValue;
            }
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
