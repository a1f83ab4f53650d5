using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// Reachability on a control-flow graph between two points of one function, avoiding operations that end what the
    /// caller tracks (a restore, an undo, an end call). The points are syntax nodes: the graph's operations are its own
    /// (lowered) copies of the tree's, so a point is the graph operation whose syntax contains the node.
    /// </summary>
    internal static class FlowPaths
    {
        /// <summary>
        /// True when a path leaves <paramref name="from"/> and reaches <paramref name="to"/> without meeting an operation
        /// that <paramref name="blocks"/> accepts (finally regions the path runs through included); false when every path
        /// meets one or none reaches; null when either point is not in the graph. Exception edges are not followed
        /// (a catch handler is reached by no path), so a point inside a handler is "not reached": callers asking
        /// "may this happen" stay silent there.
        /// </summary>
        public static bool? ReachesAvoiding(ControlFlowGraph cfg, SyntaxNode from, SyntaxNode to, Func<IOperation, bool> blocks, CancellationToken cancellationToken)
        {
            if (!TryFind(cfg, from, out var startBlock, out var startIndex) || !TryFind(cfg, to, out _, out _))
            {
                return null;
            }

            var blockedRegions = new Dictionary<ControlFlowRegion, bool>();
            var visited = new HashSet<int>();
            var stack = new Stack<(BasicBlock Block, int Index)>();
            stack.Push((startBlock, startIndex + 1));
            while (stack.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (block, index) = stack.Pop();
                var operations = block.Operations;
                var stopped = false;
                for (var i = index; i <= operations.Length && !stopped; i++)
                {
                    var operation = i < operations.Length ? operations[i] : block.BranchValue;
                    if (operation is null)
                    {
                        continue;
                    }

                    if (Contains(operation, to))
                    {
                        return true;
                    }

                    stopped = AnyBlocks(operation, blocks);
                }

                if (stopped)
                {
                    continue;
                }

                foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                {
                    if (branch?.Destination is not { } destination || branch.Semantics != ControlFlowBranchSemantics.Regular)
                    {
                        continue;
                    }

                    var throughBlockingFinally = false;
                    foreach (var region in branch.FinallyRegions)
                    {
                        if (!blockedRegions.TryGetValue(region, out var regionBlocks))
                        {
                            regionBlocks = RegionBlocks(cfg, region, blocks);
                            blockedRegions[region] = regionBlocks;
                        }

                        throughBlockingFinally |= regionBlocks;
                    }

                    if (!throughBlockingFinally && visited.Add(destination.Ordinal))
                    {
                        stack.Push((destination, 0));
                    }
                }
            }

            return false;
        }

        private static bool TryFind(ControlFlowGraph cfg, SyntaxNode node, out BasicBlock block, out int index)
        {
            foreach (var candidate in cfg.Blocks)
            {
                var operations = candidate.Operations;
                for (var i = 0; i <= operations.Length; i++)
                {
                    var operation = i < operations.Length ? operations[i] : candidate.BranchValue;
                    if (operation is not null && Contains(operation, node))
                    {
                        block = candidate;
                        index = i;
                        return true;
                    }
                }
            }

            block = null!;
            index = -1;
            return false;
        }

        private static bool Contains(IOperation operation, SyntaxNode node)
            => operation.Syntax.SyntaxTree == node.SyntaxTree && operation.Syntax.Span.Contains(node.Span);

        private static bool AnyBlocks(IOperation operation, Func<IOperation, bool> blocks)
        {
            foreach (var descendant in operation.DescendantsAndSelf())
            {
                if (blocks(descendant))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool RegionBlocks(ControlFlowGraph cfg, ControlFlowRegion region, Func<IOperation, bool> blocks)
        {
            for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
            {
                foreach (var operation in FlowGraphs.BlockOperations(cfg.Blocks[ordinal]))
                {
                    if (AnyBlocks(operation, blocks))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
