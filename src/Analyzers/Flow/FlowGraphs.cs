using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// Where the path walks get their control-flow graphs. In an operation action it is the driver's graph of the
    /// operation block being analysed (<see cref="OperationAnalysisContext.GetControlFlowGraph()"/>): the driver builds it
    /// once per block and shares it with every analyzer and rule that asks, so CTX101, CTX102, CTX106, CTX204, CTX205,
    /// CTX206 and CTX207 looking at one method cost one graph. Code fixes (no driver) build the graph they ask for.
    /// </summary>
    internal readonly struct FlowGraphSource
    {
        private readonly OperationAnalysisContext context;
        private readonly bool fromDriver;

        public FlowGraphSource(in OperationAnalysisContext context)
        {
            this.context = context;
            fromDriver = true;
            CancellationToken = context.CancellationToken;
        }

        private FlowGraphSource(CancellationToken cancellationToken)
        {
            context = default;
            fromDriver = false;
            CancellationToken = cancellationToken;
        }

        public CancellationToken CancellationToken { get; }

        /// <summary>A source with no driver (code fixes, tests): each request builds its graph.</summary>
        public static FlowGraphSource Uncached(CancellationToken cancellationToken) => new FlowGraphSource(cancellationToken);

        /// <summary>
        /// The graph of <paramref name="root"/> (a method or constructor body, a top-level block, or a field, property or
        /// parameter initializer), or
        /// <see langword="null"/> when it is not such a root or the builder refuses it (half-typed code).
        /// </summary>
        public ControlFlowGraph? RootGraph(IOperation root)
        {
            if (root is not (IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation { Parent: null }
                or IFieldInitializerOperation or IPropertyInitializerOperation or IParameterInitializerOperation))
            {
                return null;
            }

            CancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (fromDriver && context.Operation is { } analysed && FlowGraphs.RootOf(analysed) == root)
                {
                    return context.GetControlFlowGraph();
                }

                return root switch
                {
                    IMethodBodyOperation body => ControlFlowGraph.Create(body, CancellationToken),
                    IConstructorBodyOperation body => ControlFlowGraph.Create(body, CancellationToken),
                    IBlockOperation block => ControlFlowGraph.Create(block, CancellationToken),
                    IFieldInitializerOperation initializer => ControlFlowGraph.Create(initializer, CancellationToken),
                    IPropertyInitializerOperation initializer => ControlFlowGraph.Create(initializer, CancellationToken),
                    IParameterInitializerOperation initializer => ControlFlowGraph.Create(initializer, CancellationToken),
                    _ => null,
                };
            }
            catch (ArgumentException)
            {
                return null; // not a root the graph builder accepts (half-typed code)
            }
        }
    }

    /// <summary>Navigation in control-flow graphs shared by the path walks.</summary>
    internal static class FlowGraphs
    {
        /// <summary>The root of <paramref name="operation"/>'s operation tree.</summary>
        public static IOperation RootOf(IOperation operation)
        {
            var root = operation;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            return root;
        }

        /// <summary>
        /// The graph of a lambda or local function nested (at one level) in <paramref name="cfg"/>, or
        /// <see langword="null"/> when the graph does not contain it (half-typed code). The parent graph caches it.
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

        /// <summary>
        /// The graph of the function that contains <paramref name="operation"/>: the root's graph, then the nested graphs
        /// of the lambdas and local functions around it, outermost first. Null when any of them cannot be built.
        /// </summary>
        public static ControlFlowGraph? GraphOfFunctionAround(IOperation operation, in FlowGraphSource graphs)
        {
            var functions = new List<IOperation>();
            IOperation root = operation;
            for (var current = operation.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    functions.Add(current);
                }

                root = current;
            }

            var cfg = graphs.RootGraph(root);
            for (var i = functions.Count - 1; i >= 0 && cfg is not null; i--)
            {
                cfg = NestedGraph(cfg, functions[i], graphs.CancellationToken);
            }

            return cfg;
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
    }
}
