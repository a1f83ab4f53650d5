using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>What <see cref="ActivityLifetime.Analyze"/> found for one started activity or span held in a local.</summary>
    internal enum LifetimeOutcome
    {
        /// <summary>Ended (stopped, disposed, ended) on every path, exceptions included, or null on the paths where it is not.</summary>
        Ended,

        /// <summary>Ownership leaves the method (returned, stored, passed, captured, aliased): not this method's job.</summary>
        Transferred,

        /// <summary>A normal path (early return, end of method, <c>throw</c>) leaves without ending it.</summary>
        NotEndedOnSomePath,

        /// <summary>Every normal path ends it, but a call between start and end can throw and no <c>finally</c> ends it.</summary>
        NotEndedOnException,

        /// <summary>The local is assigned again (a loop, a second start) before the first value was ended.</summary>
        Overwritten,

        /// <summary>The analysis could not decide (no graph, unexpected shape): report nothing.</summary>
        Unknown,
    }

    /// <summary>
    /// "Is this activity/span ended on every path?" for a value held in a local, bounded to the one method (or lambda,
    /// or local function) that declares the local, decided on Roslyn's <see cref="ControlFlowGraph"/>. Used by CTX102;
    /// reusable by any rule that needs "a disposable-like value is released on every path".
    /// </summary>
    /// <remarks>
    /// <para>Ownership transfer ends the analysis (<see cref="LifetimeOutcome.Transferred"/>): any use of the local other than
    /// a member access on it (calls whose result is discarded or is the same value, property reads), a null test, or an
    /// end call (returned, assigned to anything, passed as an argument including <c>out</c>/<c>ref</c>, converted, captured
    /// by a lambda or local function, used in <c>using (local)</c>, bound by a pattern).</para>
    /// <para>Paths: from the start, every path through the graph must meet an end call on the local before it leaves
    /// the method; a branch that leaves through <c>finally</c> regions counts as ended when one of them ends it; the
    /// branch of a null test on which the local is null needs no end (<c>StartActivity</c> returns null without
    /// listeners); reaching the assignment again first is <see cref="LifetimeOutcome.Overwritten"/>. Exceptions: every
    /// call or object creation met before the end can throw, so it must sit in a <c>try</c> whose <c>finally</c> (or a
    /// catch) ends the local.</para>
    /// </remarks>
    internal static class ActivityLifetime
    {
        /// <summary>End methods: <c>Stop</c>, <c>Dispose</c> (Activity, TelemetrySpan, IDisposable), <c>End</c> (TelemetrySpan).</summary>
        public static bool IsEndMethodName(string name) => name is "Stop" or "Dispose" or "End";

        /// <summary>
        /// Decides whether the value <paramref name="start"/> leaves in <paramref name="local"/> is ended on every path.
        /// <paramref name="start"/> is the operation (inside the method's operation tree) that gives the local its value:
        /// the start call itself, or <c>local.Start()</c>.
        /// </summary>
        public static LifetimeOutcome Analyze(IOperation start, ILocalSymbol local, in FlowGraphSource graphs)
        {
            var cancellationToken = graphs.CancellationToken;
            // The root of the operation tree and the innermost function that contains the start.
            IOperation root = start;
            IOperation? innermostFunction = null;
            var functions = new List<IOperation>();
            for (var current = start.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    innermostFunction ??= current;
                    functions.Add(current);
                }

                root = current;
            }

            var scope = innermostFunction ?? root;
            if (!IsDeclaredIn(local, scope.Syntax))
            {
                return LifetimeOutcome.Transferred; // a captured variable of an outer function
            }

            if (Escapes(scope, local))
            {
                return LifetimeOutcome.Transferred;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var cfg = GraphOf(root, functions, graphs);
            return cfg is null ? LifetimeOutcome.Unknown : new PathWalker(cfg, local, start.Syntax).Run(cancellationToken);
        }

        /// <summary>
        /// Is the value <paramref name="start"/> leaves in <paramref name="local"/> still live (not ended, not overwritten,
        /// not null-tested away) on some path from the start to <paramref name="at"/>? Decided on the same graph and with
        /// the same notion of "ended" as <see cref="Analyze"/>: after <c>if (x) activity?.Stop();</c> the activity is live
        /// on the other path. Null when the graph cannot be built (the caller falls back to its own estimate).
        /// </summary>
        public static bool? IsLiveAt(IOperation start, ILocalSymbol local, IOperation at, in FlowGraphSource graphs)
        {
            var cancellationToken = graphs.CancellationToken;
            IOperation root = start;
            var functions = new List<IOperation>();
            for (var current = start.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    functions.Add(current);
                }

                root = current;
            }

            var cfg = GraphOf(root, functions, graphs);
            if (cfg is null)
            {
                return null;
            }

            var walker = new PathWalker(cfg, local, start.Syntax) { LiveTarget = at.Syntax };
            return walker.Run(cancellationToken) == LifetimeOutcome.Unknown ? null : walker.Reached;
        }

        private static ControlFlowGraph? GraphOf(IOperation root, List<IOperation> functionsInnermostFirst, in FlowGraphSource graphs)
        {
            // One graph per body, whatever the number of starts in it: the driver's, shared with the other rules.
            var cfg = root is IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation { Parent: null } ? graphs.RootGraph(root) : null;
            for (var i = functionsInnermostFirst.Count - 1; i >= 0 && cfg is not null; i--)
            {
                cfg = FlowGraphs.NestedGraph(cfg, functionsInnermostFirst[i], graphs.CancellationToken);
            }

            return cfg;
        }

        private static bool IsDeclaredIn(ILocalSymbol local, SyntaxNode scope)
        {
            foreach (var reference in local.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree == scope.SyntaxTree && scope.Span.Contains(reference.Span))
                {
                    return true;
                }
            }

            return false;
        }

        // ------------------------------------------------------------------ ownership transfer

        private static bool Escapes(IOperation scope, ILocalSymbol local)
        {
            foreach (var operation in scope.Descendants())
            {
                if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    continue;
                }

                if (IsInsideNestedFunction(reference, scope) || !IsNonEscapingUse(reference))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsInsideNestedFunction(IOperation operation, IOperation scope)
        {
            for (var current = operation.Parent; current is not null && current != scope; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsNonEscapingUse(ILocalReferenceOperation local)
        {
            // Look through conversions: `a == null` compares as object, `((IDisposable)a).Dispose()` casts. A conversion
            // that is stored or passed on still escapes below.
            IOperation reference = local;
            while (reference.Parent is IConversionOperation conversion)
            {
                reference = conversion;
            }

            var parent = reference.Parent;
            switch (parent)
            {
                // local = value (the start itself, or an overwrite the path walk reports)
                case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                    return true;

                // local.Member(...), local.Property
                case IInvocationOperation invocation when invocation.Instance == reference:
                    return IsHarmlessCall(invocation);
                case IPropertyReferenceOperation or IFieldReferenceOperation or IEventReferenceOperation:
                    return ((IMemberReferenceOperation)parent).Instance == reference;

                // local?.Member(...)
                case IConditionalAccessOperation conditional when conditional.Operation == reference:
                    return IsHarmlessConditionalAccess(conditional);

                // null tests
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
                    return IsNullConstant(binary.LeftOperand == reference ? binary.RightOperand : binary.LeftOperand);
                case IIsPatternOperation pattern when pattern.Value == reference:
                    return !DeclaresSymbol(pattern.Pattern);
                case IIsNullOperation:
                    return true;

                // Passed to a method that only looks at it (tags, reads, enriches): still this method's to end.
                case IArgumentOperation argument when argument.Value == reference:
                    return !ArgumentOwnership.TakesOwnership(argument, CancellationToken.None);

                // local ??= other / local ?? other would alias: transfer.
                default:
                    return false;
            }
        }

        private static bool IsHarmlessCall(IInvocationOperation invocation)
        {
            if (IsEndMethodName(invocation.TargetMethod.Name) || invocation.Type is null || invocation.Type.SpecialType == SpecialType.System_Void)
            {
                return true;
            }

            // Fluent calls (SetTag, AddEvent, SetStatus...) return the same activity: harmless when that result is dropped.
            var receiverType = invocation.Instance?.Type;
            if (receiverType is not null && SymbolEqualityComparer.Default.Equals(invocation.Type.OriginalDefinition, receiverType.OriginalDefinition))
            {
                return IsDiscarded(invocation);
            }

            return true;
        }

        private static bool IsHarmlessConditionalAccess(IConditionalAccessOperation conditional)
        {
            var whenNotNull = conditional.WhenNotNull;
            while (whenNotNull is IConditionalAccessOperation nested)
            {
                whenNotNull = nested.Operation;
            }

            switch (whenNotNull)
            {
                case IInvocationOperation invocation:
                    if (IsEndMethodName(invocation.TargetMethod.Name) || invocation.Type is null || invocation.Type.SpecialType == SpecialType.System_Void)
                    {
                        return true;
                    }

                    var receiverType = invocation.Instance?.Type;
                    if (receiverType is not null && SymbolEqualityComparer.Default.Equals(invocation.Type.OriginalDefinition, receiverType.OriginalDefinition))
                    {
                        return IsDiscarded(conditional);
                    }

                    return true;
                case IMemberReferenceOperation:
                    return true;
                default:
                    return false;
            }
        }

        private static bool IsDiscarded(IOperation operation)
        {
            var parent = operation.Parent;
            while (parent is IConditionalAccessOperation or IConversionOperation)
            {
                parent = parent.Parent;
            }

            return parent is IExpressionStatementOperation;
        }

        private static bool DeclaresSymbol(IPatternOperation pattern)
        {
            foreach (var descendant in pattern.DescendantsAndSelf())
            {
                if (descendant is IDeclarationPatternOperation { DeclaredSymbol: not null }
                    or IRecursivePatternOperation { DeclaredSymbol: not null }
                    or IListPatternOperation { DeclaredSymbol: not null })
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsNullConstant(IOperation? operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation is not null && operation.ConstantValue is { HasValue: true, Value: null };
        }


        // ------------------------------------------------------------------ path walk

        private sealed class PathWalker
        {
            private readonly ControlFlowGraph cfg;
            private readonly ILocalSymbol local;
            private readonly SyntaxNode startSyntax;
            private readonly HashSet<CaptureId> captures = new HashSet<CaptureId>();
            private readonly Dictionary<ControlFlowRegion, bool> regionEnds = new Dictionary<ControlFlowRegion, bool>();
            private readonly HashSet<int> visited = new HashSet<int>();
            private LifetimeOutcome worst = LifetimeOutcome.Ended;

            /// <summary>When set, the walk looks for this syntax instead of judging the ending: <see cref="Reached"/>.</summary>
            public SyntaxNode? LiveTarget { get; set; }

            /// <summary>A path from the start reached <see cref="LiveTarget"/> before ending the local.</summary>
            public bool Reached { get; private set; }

            public PathWalker(ControlFlowGraph cfg, ILocalSymbol local, SyntaxNode startSyntax)
            {
                this.cfg = cfg;
                this.local = local;
                this.startSyntax = startSyntax;
            }

            public LifetimeOutcome Run(CancellationToken cancellationToken)
            {
                // Flow captures of the local (a?.Stop() and a ?? b are lowered through them).
                foreach (var block in cfg.Blocks)
                {
                    foreach (var operation in block.Operations)
                    {
                        if (operation is IFlowCaptureOperation capture && IsLocal(capture.Value))
                        {
                            captures.Add(capture.Id);
                        }
                    }
                }

                // The block and operation that hold the start: the write of the local that contains the start call (a
                // conditional access lowers the call and the write into different blocks), else the start call itself
                // (local.Start()).
                foreach (var findWrite in new[] { true, false })
                {
                    foreach (var block in cfg.Blocks)
                    {
                        for (var i = 0; i < block.Operations.Length; i++)
                        {
                            var candidate = block.Operations[i];
                            var found = findWrite
                                ? WritesLocal(candidate) && candidate.Syntax.Span.Contains(startSyntax.Span)
                                : ContainsSyntax(candidate, startSyntax);
                            if (!found)
                            {
                                continue;
                            }

                            if (ContainsEnd(candidate))
                            {
                                return LifetimeOutcome.Ended;
                            }

                            Walk(block, i + 1, cancellationToken);
                            return worst;
                        }
                    }
                }

                return LifetimeOutcome.Unknown;
            }

            private void Walk(BasicBlock first, int firstIndex, CancellationToken cancellationToken)
            {
                var stack = new Stack<(BasicBlock Block, int Index)>();
                stack.Push((first, firstIndex));
                while (stack.Count > 0 && !Reached)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (block, index) = stack.Pop();
                    WalkBlock(block, index, stack);
                }
            }

            /// <summary>Walks one block from <paramref name="index"/>; pushes successors when the path goes on.</summary>
            private void WalkBlock(BasicBlock block, int index, Stack<(BasicBlock Block, int Index)> stack)
            {
                for (var i = index; i < block.Operations.Length; i++)
                {
                    var operation = block.Operations[i];
                    if (IsTarget(operation))
                    {
                        return;
                    }

                    if (ContainsEnd(operation))
                    {
                        return;
                    }

                    if (WritesLocal(operation))
                    {
                        Record(LifetimeOutcome.Overwritten);
                        return;
                    }

                    if (MayThrow(operation) && !IsCoveredOnException(block))
                    {
                        Record(LifetimeOutcome.NotEndedOnException);
                    }
                }

                var branchValue = block.BranchValue;
                BasicBlock? nullSuccessor = null;
                if (branchValue is not null)
                {
                    if (IsTarget(branchValue))
                    {
                        return;
                    }

                    if (ContainsEnd(branchValue))
                    {
                        return;
                    }

                    if (MayThrow(branchValue) && !IsCoveredOnException(block))
                    {
                        Record(LifetimeOutcome.NotEndedOnException);
                    }

                    nullSuccessor = NullSuccessor(block);
                }

                Follow(block, block.FallThroughSuccessor, nullSuccessor, stack);
                Follow(block, block.ConditionalSuccessor, nullSuccessor, stack);
            }

            private void Follow(BasicBlock from, ControlFlowBranch? branch, BasicBlock? nullSuccessor, Stack<(BasicBlock Block, int Index)> stack)
            {
                if (branch is null)
                {
                    return;
                }

                if (branch.Destination is not null && branch.Destination == nullSuccessor)
                {
                    return; // the local is null on this path: nothing to end
                }

                foreach (var region in branch.FinallyRegions)
                {
                    if (RegionEnds(region))
                    {
                        return;
                    }
                }

                switch (branch.Semantics)
                {
                    case ControlFlowBranchSemantics.Throw:
                    case ControlFlowBranchSemantics.Rethrow:
                        if (!IsCoveredOnException(from))
                        {
                            Record(LifetimeOutcome.NotEndedOnSomePath);
                        }

                        return;
                    case ControlFlowBranchSemantics.StructuredExceptionHandling:
                    case ControlFlowBranchSemantics.ProgramTermination:
                    case ControlFlowBranchSemantics.Error:
                    case ControlFlowBranchSemantics.None:
                        return; // leaving a finally/catch we started in, or unknown: stay silent
                }

                var destination = branch.Destination;
                if (destination is null)
                {
                    return;
                }

                if (destination.Kind == BasicBlockKind.Exit)
                {
                    Record(LifetimeOutcome.NotEndedOnSomePath);
                    return;
                }

                if (visited.Add(destination.Ordinal))
                {
                    stack.Push((destination, 0));
                }
            }

            private bool IsTarget(IOperation operation)
            {
                if (LiveTarget is null || !operation.Syntax.Span.Contains(LiveTarget.Span) || operation.Syntax.SyntaxTree != LiveTarget.SyntaxTree)
                {
                    return false;
                }

                Reached = true;
                return true;
            }

            private void Record(LifetimeOutcome outcome)
            {
                // Overwritten and normal-path leaks outrank exception-only leaks.
                if (worst == LifetimeOutcome.Ended || worst == LifetimeOutcome.NotEndedOnException)
                {
                    worst = outcome;
                }
            }

            /// <summary>The successor taken when the branch value is a null test of the local that is true for null.</summary>
            private BasicBlock? NullSuccessor(BasicBlock block)
            {
                var value = block.BranchValue;
                bool? nullWhenTrue = null;
                switch (value)
                {
                    case IIsNullOperation isNull when IsLocal(isNull.Operand):
                        nullWhenTrue = true;
                        break;
                    case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary
                        when IsLocal(binary.LeftOperand) && IsNullConstant(binary.RightOperand) || IsLocal(binary.RightOperand) && IsNullConstant(binary.LeftOperand):
                        nullWhenTrue = binary.OperatorKind == BinaryOperatorKind.Equals;
                        break;
                    case IIsPatternOperation pattern when IsLocal(pattern.Value):
                        nullWhenTrue = PatternMatchesNull(pattern.Pattern);
                        break;
                    case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, Operand: IIsPatternOperation pattern } when IsLocal(pattern.Value):
                        var matches = PatternMatchesNull(pattern.Pattern);
                        nullWhenTrue = matches is null ? null : !matches;
                        break;
                }

                if (nullWhenTrue is null)
                {
                    return null;
                }

                var conditionalTakenWhenTrue = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
                var conditionalIsNull = conditionalTakenWhenTrue == nullWhenTrue.Value;
                return conditionalIsNull ? block.ConditionalSuccessor?.Destination : block.FallThroughSuccessor?.Destination;
            }

            private static bool? PatternMatchesNull(IPatternOperation pattern) => pattern switch
            {
                IConstantPatternOperation constant when IsNullConstant(constant.Value) => true,
                INegatedPatternOperation { Pattern: IConstantPatternOperation constant } when IsNullConstant(constant.Value) => false,
                IRecursivePatternOperation or ITypePatternOperation or IDeclarationPatternOperation => false,
                _ => null,
            };

            private bool IsCoveredOnException(BasicBlock block)
            {
                for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
                {
                    if (region.Kind != ControlFlowRegionKind.Try || region.EnclosingRegion is not { } tryAnd)
                    {
                        continue;
                    }

                    foreach (var handler in tryAnd.NestedRegions)
                    {
                        if (handler != region && handler.Kind is ControlFlowRegionKind.Finally or ControlFlowRegionKind.Catch or ControlFlowRegionKind.FilterAndHandler
                            && RegionEnds(handler))
                        {
                            return true;
                        }
                    }
                }

                return false;
            }

            private bool RegionEnds(ControlFlowRegion region)
            {
                if (!regionEnds.TryGetValue(region, out var ends))
                {
                    ends = false;
                    for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal && !ends; ordinal++)
                    {
                        foreach (var operation in FlowGraphs.BlockOperations(cfg.Blocks[ordinal]))
                        {
                            if (ContainsEnd(operation))
                            {
                                ends = true;
                                break;
                            }
                        }
                    }

                    regionEnds[region] = ends;
                }

                return ends;
            }

            private bool ContainsEnd(IOperation operation)
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    if (descendant is IInvocationOperation invocation && IsEndMethodName(invocation.TargetMethod.Name) && IsLocal(invocation.Instance))
                    {
                        return true;
                    }
                }

                return false;
            }

            private bool WritesLocal(IOperation operation)
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    if (descendant is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Local, local))
                    {
                        return true;
                    }
                }

                return false;
            }

            private bool MayThrow(IOperation operation)
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    switch (descendant)
                    {
                        case IInvocationOperation invocation when !IsLocal(invocation.Instance):
                        case IObjectCreationOperation:
                        case IAwaitOperation:
                        case IDynamicInvocationOperation:
                        case IDynamicObjectCreationOperation:
                        case IThrowOperation:
                            return true;
                    }
                }

                return false;
            }

            private bool IsLocal(IOperation? operation)
            {
                while (operation is IConversionOperation conversion)
                {
                    operation = conversion.Operand;
                }

                return operation switch
                {
                    ILocalReferenceOperation reference => SymbolEqualityComparer.Default.Equals(reference.Local, local),
                    IFlowCaptureReferenceOperation capture => captures.Contains(capture.Id),
                    _ => false,
                };
            }

            private static bool ContainsSyntax(IOperation operation, SyntaxNode syntax)
            {
                if (!operation.Syntax.Span.Contains(syntax.Span))
                {
                    return false;
                }

                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    if (descendant.Syntax == syntax)
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }
}
