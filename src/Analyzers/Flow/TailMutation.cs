using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// CTX206's core, shared with CTX101 ("one statement gets one diagnostic"): is an ambient-context mutation the
    /// last thing a flow does before the runtime throws its ExecutionContext away?
    /// </summary>
    /// <remarks>
    /// <para>A mutation is <c>Activity.Current = x</c>, <c>Baggage.Current = x</c>, a static
    /// <c>Baggage.SetBaggage</c>/<c>RemoveBaggage</c>/<c>ClearBaggage</c> call (with or without a <c>baggage:</c>
    /// argument), or <c>RuntimeContext.SetValue(slot, x)</c>. The flow is the innermost enclosing method, local function or lambda. It qualifies when it is
    /// <c>async</c>, or when it is a (non-async) lambda / anonymous method passed directly as an argument to
    /// <c>Task.Run</c>, <c>Task.Factory.StartNew</c> / <c>TaskFactory(&lt;T&gt;).StartNew</c>,
    /// <c>ThreadPool.QueueUserWorkItem</c> / <c>UnsafeQueueUserWorkItem</c>, <c>Parallel.For/ForEach/Invoke/ForAsync/ForEachAsync</c>
    /// or <c>Task(&lt;T&gt;).ContinueWith</c>: in each of them the runtime restores the caller's ExecutionContext
    /// when the flow ends, so an Activity change is never seen by the caller.</para>
    /// <para>"At the tail" is decided on the flow's <see cref="ControlFlowGraph"/>: every operation that can run
    /// after the mutation on a normal path (the rest of its statement, later statements, every successor block and
    /// every <c>finally</c> left on the way, loops included) must be unable to observe ambient context. Only inert
    /// operations qualify: literals, locals, parameters, fields, <c>this</c>, built-in operators and conversions,
    /// assignments to locals/fields/parameters/array elements, <c>await</c> of such a value, <c>return</c>/<c>yield break</c>,
    /// <c>Task.CompletedTask</c>/<c>Task.FromResult</c>/<c>ValueTask.FromResult</c>, delegate creation, and other
    /// ambient mutations (a later mutation replaces, it does not observe). Any other call, property read, object
    /// creation, <c>yield return</c> or unknown operation counts as an observer, so the answer is <see langword="false"/>
    /// whenever in doubt (precision before recall).</para>
    /// <para>A restore is not a change: assigning <c>null</c>/<c>default</c>, <c>someActivity.Parent</c>, or a local
    /// that the flow filled from the same ambient property (<c>var previous = Activity.Current; ... Activity.Current = previous;</c>)
    /// returns <see langword="false"/>. Synchronous methods and synchronous lambdas that are not hop delegates return
    /// <see langword="false"/> (their changes do leak to the caller: CTX101's business). Never throws on
    /// half-typed code; returns <see langword="false"/> when anything cannot be resolved.</para>
    /// </remarks>
    internal static class TailMutation
    {
        // CTX101 and CTX206 ask about the same mutations, CTX102 about the same bodies: each operation block's graph is
        // the driver's, built once (FlowGraphSource).

        public static bool IsLostAtTail(IOperation mutation, in FlowGraphSource graphs, AmbientSet? members = null)
        {
            var cancellationToken = graphs.CancellationToken;
            if (mutation is IExpressionStatementOperation statement)
            {
                mutation = statement.Operation;
            }

            var kind = ClassifyMutation(mutation, members);
            if (kind == AmbientKind.None || IsRestore(mutation, kind, members))
            {
                return false;
            }

            // The innermost enclosing function, and the chain of nested functions from the root down to it.
            var functions = new List<IOperation>();
            IOperation root = mutation;
            for (var current = mutation.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    functions.Add(current);
                }

                root = current;
            }

            functions.Reverse();
            if (!IsQualifyingFlow(mutation, functions))
            {
                return false;
            }

            // Most mutations in real code are followed by the work they are for ("set, then try { await next(); }"):
            // when the next statement certainly calls something, the graph walk below would find that observer too.
            if (ObservedByNextStatement(mutation))
            {
                return false;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var cfg = graphs.RootGraph(root); // the driver's graph, shared with CTX102's lifetime analysis
            if (cfg is null)
            {
                return false;
            }

            foreach (var function in functions)
            {
                cfg = FlowGraphs.NestedGraph(cfg, function, cancellationToken);
                if (cfg is null)
                {
                    return false;
                }
            }

            return NothingObservesAfter(cfg, mutation, cancellationToken);
        }

        internal enum AmbientKind
        {
            None,
            Activity,
            Baggage,
            RuntimeContextSlot,

            /// <summary>A team's own AsyncLocal-backed member (<see cref="AmbientMembers"/>).</summary>
            Custom,
        }

        /// <summary>Which ambient store <paramref name="operation"/> changes, if it is a mutation at all.</summary>
        internal static AmbientKind ClassifyMutation(IOperation? operation, AmbientSet? members = null)
        {
            var kind = ClassifyKnownMutation(operation);
            return kind == AmbientKind.None && members?.WriteOf(operation) is not null
                ? AmbientKind.Custom
                : kind;
        }

        private static AmbientKind ClassifyKnownMutation(IOperation? operation)
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property } }:
                    return ClassifyCurrentProperty(property);
                case IInvocationOperation { TargetMethod: { IsStatic: true } method }
                    when (method.Name is "SetBaggage" or "RemoveBaggage" or "ClearBaggage") && IsType(method.ContainingType, "OpenTelemetry", null, "Baggage"):
                    return AmbientKind.Baggage;
                case IInvocationOperation { TargetMethod: { IsStatic: true, Name: "SetValue" } method, Arguments.Length: 2 }
                    when IsType(method.ContainingType, "OpenTelemetry", "Context", "RuntimeContext"):
                    return AmbientKind.RuntimeContextSlot;
                default:
                    return AmbientKind.None;
            }
        }

        private static AmbientKind ClassifyCurrentProperty(IPropertySymbol property)
        {
            if (IsType(property.ContainingType, "System", "Diagnostics", "Activity"))
            {
                return AmbientKind.Activity;
            }

            return IsType(property.ContainingType, "OpenTelemetry", null, "Baggage") ? AmbientKind.Baggage : AmbientKind.None;
        }

        /// <summary>Matches a type by namespace (one or two parts) and name without allocating display strings.</summary>
        private static bool IsType(INamedTypeSymbol? type, string outer, string? inner, string name)
        {
            if (type is null || type.Name != name || type.ContainingType is not null)
            {
                return false;
            }

            var ns = type.ContainingNamespace;
            if (inner is not null)
            {
                if (ns is null || ns.Name != inner)
                {
                    return false;
                }

                ns = ns.ContainingNamespace;
            }

            return ns is not null && ns.Name == outer && ns.ContainingNamespace is { IsGlobalNamespace: true };
        }

        // ------------------------------------------------------------------ restores

        private static bool IsRestore(IOperation mutation, AmbientKind kind, AmbientSet? members)
        {
            var written = mutation switch
            {
                ISimpleAssignmentOperation assignment => assignment.Value,
                IInvocationOperation { TargetMethod.Name: "SetValue", Arguments.Length: 2 } setValue => setValue.Arguments[1].Value,
                _ => null,
            };

            if (written is null)
            {
                return false;
            }

            var value = SkipConversions(written);
            switch (value)
            {
                case ILiteralOperation { ConstantValue: { HasValue: true, Value: null } }:
                case IDefaultValueOperation:
                    return true;
                case { ConstantValue: { HasValue: true } constant } when kind == AmbientKind.Custom && IsDefaultConstant(constant.Value):
                    // A team's flag or counter put back to its default (`finally { WithinDescription = false; }`) is the
                    // reset of a value, like Activity.Current = null: redundant at the tail of an async flow, not a lost change.
                    return true;
                case IPropertyReferenceOperation { Property.Name: "Parent", Instance: not null } parent
                    when kind == AmbientKind.Activity && IsType(parent.Property.ContainingType, "System", "Diagnostics", "Activity"):
                    return true;
                case IConditionalAccessOperation { WhenNotNull: IPropertyReferenceOperation { Property.Name: "Parent" } parent }
                    when kind == AmbientKind.Activity && IsType(parent.Property.ContainingType, "System", "Diagnostics", "Activity"):
                    return true;
                case ILocalReferenceOperation local:
                    return IsSavedAmbient(mutation, local.Local, kind, kind == AmbientKind.Custom ? members?.WriteOf(mutation) : null);
                default:
                    return false;
            }
        }

        private static bool IsDefaultConstant(object? value) => value switch
        {
            null => true,
            bool flag => !flag,
            int number => number == 0,
            long number => number == 0,
            char character => character == '\0',
            _ => false,
        };

        /// <summary>True when some declaration or assignment of <paramref name="local"/> reads the same ambient property.</summary>
        private static bool IsSavedAmbient(IOperation mutation, ILocalSymbol local, AmbientKind kind, AmbientMember? member)
        {
            var top = mutation;
            while (top.Parent is not null)
            {
                top = top.Parent;
            }

            foreach (var operation in top.Descendants())
            {
                IOperation? value = operation switch
                {
                    IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) => declarator.Initializer?.Value,
                    ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } a when SymbolEqualityComparer.Default.Equals(target.Local, local) => a.Value,
                    _ => null,
                };

                if (member is not null && value is not null && member.IsAccess(value))
                {
                    return true;
                }

                if (SkipConversions(value) is IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property }
                    && ClassifyCurrentProperty(property) == kind)
                {
                    return true;
                }

                if (kind == AmbientKind.RuntimeContextSlot
                    && SkipConversions(value) is IInvocationOperation { TargetMethod: { Name: "GetValue", IsStatic: true } getValue }
                    && IsType(getValue.ContainingType, "OpenTelemetry", "Context", "RuntimeContext"))
                {
                    return true;
                }
            }

            return false;
        }

        private static IOperation? SkipConversions(IOperation? operation)
        {
            while (operation is IConversionOperation { OperatorMethod: null } conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        // ------------------------------------------------------------------ which flows lose their changes

        private static bool IsQualifyingFlow(IOperation mutation, List<IOperation> functions)
        {
            if (functions.Count == 0)
            {
                var symbol = mutation.SemanticModel?.GetEnclosingSymbol(mutation.Syntax.SpanStart);
                return symbol is IMethodSymbol { IsAsync: true };
            }

            switch (functions[functions.Count - 1])
            {
                case ILocalFunctionOperation local:
                    return local.Symbol.IsAsync;
                case IAnonymousFunctionOperation lambda:
                    return lambda.Symbol.IsAsync || IsHopDelegate(lambda);
                default:
                    return false;
            }
        }

        /// <summary>The operation is in a lambda passed straight to an API that runs it as thread-pool work under a copy of the ExecutionContext.</summary>
        public static bool IsInHopDelegate(IOperation operation)
        {
            for (var current = operation.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation lambda)
                {
                    return IsHopDelegate(lambda);
                }

                if (current is ILocalFunctionOperation)
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>A lambda passed straight to an API that runs it under a captured (then restored) ExecutionContext.</summary>
        private static bool IsHopDelegate(IAnonymousFunctionOperation lambda)
        {
            var current = lambda.Parent;
            while (current is IDelegateCreationOperation or IConversionOperation or IArrayInitializerOperation or IArrayCreationOperation)
            {
                current = current.Parent;
            }

            if (current is not IArgumentOperation { Parent: IInvocationOperation invocation })
            {
                return false;
            }

            var method = invocation.TargetMethod;
            var type = method.ContainingType?.OriginalDefinition;
            switch (method.Name)
            {
                case "Run":
                    return type is { Name: "Task" } && FromTasksNamespace(type);
                case "StartNew":
                    return type is { Name: "TaskFactory" } && FromTasksNamespace(type);
                case "ContinueWith":
                    return type is { Name: "Task" } && FromTasksNamespace(type);
                case "QueueUserWorkItem":
                case "UnsafeQueueUserWorkItem":
                    return IsType(type, "System", "Threading", "ThreadPool");
                case "For":
                case "ForEach":
                case "Invoke":
                case "ForAsync":
                case "ForEachAsync":
                    return type is { Name: "Parallel" } && FromTasksNamespace(type);
                default:
                    return false;
            }
        }

        private static bool FromTasksNamespace(INamedTypeSymbol type)
        {
            var ns = type.ContainingNamespace;
            return type.ContainingType is null
                && ns is { Name: "Tasks" }
                && ns.ContainingNamespace is { Name: "Threading" } threading
                && threading.ContainingNamespace is { Name: "System" } system
                && system.ContainingNamespace is { IsGlobalNamespace: true };
        }

        // ------------------------------------------------------------------ syntactic pre-check

        /// <summary>
        /// Cheap and conservative: true only when the statement right after the mutation's statement, in the same block,
        /// certainly calls a method before anything can branch or throw, a call the graph walk counts as an observer.
        /// Calls the walk allows after a mutation (other Baggage mutations, <c>Task.FromResult</c>, <c>nameof</c>) never count.
        /// </summary>
        private static bool ObservedByNextStatement(IOperation mutation)
        {
            var statement = mutation.Syntax.FirstAncestorOrSelf<StatementSyntax>();
            if (statement?.Parent is not BlockSyntax block)
            {
                return false;
            }

            var index = block.Statements.IndexOf(statement);
            return index >= 0 && index + 1 < block.Statements.Count && CallsFirst(block.Statements[index + 1]);
        }

        private static bool CallsFirst(StatementSyntax statement)
        {
            switch (statement)
            {
                case ExpressionStatementSyntax expression:
                    return IsPlainCall(expression.Expression);
                case LocalDeclarationStatementSyntax local:
                    return local.Declaration.Variables.Count > 0 && local.Declaration.Variables[0].Initializer is { } initializer && IsPlainCall(initializer.Value);
                case TryStatementSyntax tryStatement:
                    return tryStatement.Block.Statements.Count > 0 && CallsFirst(tryStatement.Block.Statements[0]);
                case BlockSyntax nested:
                    return nested.Statements.Count > 0 && CallsFirst(nested.Statements[0]);
                default:
                    return false;
            }
        }

        private static bool IsPlainCall(ExpressionSyntax expression)
        {
            if (expression is AwaitExpressionSyntax awaited)
            {
                expression = awaited.Expression;
            }

            if (expression is not InvocationExpressionSyntax invocation)
            {
                return false;
            }

            var name = invocation.Expression switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                GenericNameSyntax generic => generic.Identifier.ValueText,
                MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
                _ => null,
            };
            if (name is null or "nameof" or "FromResult" or "SetBaggage" or "RemoveBaggage" or "ClearBaggage")
            {
                return false;
            }

            // Nothing on the way to the call may branch or throw (lambda bodies do not run here).
            foreach (var node in invocation.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax))
            {
                switch (node.Kind())
                {
                    case SyntaxKind.ThrowExpression:
                    case SyntaxKind.ConditionalExpression:
                    case SyntaxKind.ConditionalAccessExpression:
                    case SyntaxKind.CoalesceExpression:
                    case SyntaxKind.LogicalAndExpression:
                    case SyntaxKind.LogicalOrExpression:
                    case SyntaxKind.SwitchExpression:
                    case SyntaxKind.IsPatternExpression:
                        return false;
                }
            }

            return true;
        }

        // ------------------------------------------------------------------ control flow

        private static bool NothingObservesAfter(ControlFlowGraph cfg, IOperation mutation, CancellationToken cancellationToken)
        {
            foreach (var block in cfg.Blocks)
            {
                var index = 0;
                foreach (var top in FlowGraphs.BlockOperations(block))
                {
                    var found = Find(top, mutation);
                    if (found is not null)
                    {
                        return NothingAfterInStatement(top, found)
                            && NothingAfterInBlock(cfg, block, index + 1, cancellationToken);
                    }

                    index++;
                }
            }

            return false;
        }

        private static IOperation? Find(IOperation top, IOperation mutation)
        {
            foreach (var candidate in top.DescendantsAndSelf())
            {
                if (candidate.Syntax == mutation.Syntax && candidate.Kind == mutation.Kind)
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>The enclosing operations of the mutation, and the parts of its statement evaluated after it.</summary>
        private static bool NothingAfterInStatement(IOperation top, IOperation found)
        {
            for (var ancestor = found.Parent; ancestor is not null; ancestor = ancestor.Parent)
            {
                if (!IsInertNode(ancestor))
                {
                    return false;
                }

                if (ancestor == top)
                {
                    break;
                }
            }

            var end = found.Syntax.Span.End;
            foreach (var operation in top.DescendantsAndSelf())
            {
                if (operation.Syntax.SpanStart >= end && !IsWithin(operation, found) && !IsInertNode(operation))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsWithin(IOperation operation, IOperation ancestor)
        {
            for (var current = operation; current is not null; current = current.Parent)
            {
                if (current == ancestor)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Walks everything reachable from the mutation's block after operation <paramref name="startIndex"/>
        /// (operations and branch value share one index space, see <see cref="FlowGraphs.BlockOperations"/>).
        /// </summary>
        private static bool NothingAfterInBlock(ControlFlowGraph cfg, BasicBlock start, int startIndex, CancellationToken cancellationToken)
        {
            var visited = new HashSet<int>();
            var pending = new Stack<(BasicBlock Block, int Index)>();
            pending.Push((start, startIndex));
            visited.Add(start.Ordinal);
            var checkedRegions = new HashSet<ControlFlowRegion>();
            var loopChecked = false;

            while (pending.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (block, from) = pending.Pop();
                var index = 0;
                foreach (var operation in FlowGraphs.BlockOperations(block))
                {
                    if (index++ >= from && !IsInertTree(operation))
                    {
                        return false;
                    }
                }

                foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                {
                    if (branch is null)
                    {
                        continue;
                    }

                    if (branch.Semantics == ControlFlowBranchSemantics.Error)
                    {
                        return false;
                    }

                    foreach (var region in branch.FinallyRegions)
                    {
                        if (checkedRegions.Add(region) && !RegionIsInert(cfg, region))
                        {
                            return false;
                        }
                    }

                    if (branch.Destination is not { } destination)
                    {
                        continue;
                    }

                    if (destination == start)
                    {
                        // A loop back into the mutation's own block: all of it runs again after the mutation.
                        if (!loopChecked)
                        {
                            loopChecked = true;
                            foreach (var operation in FlowGraphs.BlockOperations(start))
                            {
                                if (!IsInertTree(operation))
                                {
                                    return false;
                                }
                            }
                        }
                    }
                    else if (visited.Add(destination.Ordinal))
                    {
                        pending.Push((destination, 0));
                    }
                }
            }

            return true;
        }

        private static bool RegionIsInert(ControlFlowGraph cfg, ControlFlowRegion region)
        {
            for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
            {
                foreach (var operation in FlowGraphs.BlockOperations(cfg.Blocks[ordinal]))
                {
                    if (!IsInertTree(operation))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private static bool IsInertTree(IOperation operation)
        {
            if (!IsInertNode(operation))
            {
                return false;
            }

            if (operation is ISimpleAssignmentOperation assignment && ClassifyMutation(assignment) != AmbientKind.None)
            {
                // A later mutation replaces the ambient value; only the value it stores is evaluated.
                return IsInertTree(assignment.Value);
            }

            foreach (var child in operation.ChildOperations)
            {
                if (!IsInertTree(child))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Can this one operation (children aside) not observe ambient context?</summary>
        private static bool IsInertNode(IOperation operation)
        {
            switch (operation)
            {
                case ILiteralOperation:
                case ILocalReferenceOperation:
                case IParameterReferenceOperation:
                case IInstanceReferenceOperation:
                case IFieldReferenceOperation:
                case IDefaultValueOperation:
                case ITypeOfOperation:
                case INameOfOperation:
                case ISizeOfOperation:
                case IDiscardOperation:
                case IFlowCaptureOperation:
                case IFlowCaptureReferenceOperation:
                case IIsNullOperation:
                case ICaughtExceptionOperation:
                case IIsTypeOperation:
                case IArrayCreationOperation:
                case IArrayInitializerOperation:
                case IArrayElementReferenceOperation:
                case ITupleOperation:
                case IDelegateCreationOperation:
                case IFlowAnonymousFunctionOperation:
                case IMethodReferenceOperation:
                case IAwaitOperation:
                case IEmptyOperation:
                case IExpressionStatementOperation:
                case IArgumentOperation:
                case IStaticLocalInitializationSemaphoreOperation:
                    return true;
                case IConversionOperation conversion:
                    return conversion.OperatorMethod is null;
                case IBinaryOperation binary:
                    return binary.OperatorMethod is null;
                case IUnaryOperation unary:
                    return unary.OperatorMethod is null;
                case IIncrementOrDecrementOperation increment:
                    return increment.OperatorMethod is null;
                case ICompoundAssignmentOperation compound:
                    return compound.OperatorMethod is null && IsPlainTarget(compound.Target);
                case ISimpleAssignmentOperation assignment:
                    return IsPlainTarget(assignment.Target) || ClassifyMutation(assignment) != AmbientKind.None;
                case IReturnOperation returned:
                    return returned.Kind != OperationKind.YieldReturn;
                case IPropertyReferenceOperation { Property: { IsStatic: true, Name: "CompletedTask" } property }:
                    return IsTaskType(property.ContainingType);
                case IInvocationOperation invocation:
                    return ClassifyMutation(invocation) != AmbientKind.None
                        || (invocation.TargetMethod.Name == "FromResult" && IsTaskType(invocation.TargetMethod.ContainingType));
                default:
                    return false;
            }
        }

        private static bool IsPlainTarget(IOperation target)
            => target is ILocalReferenceOperation or IFieldReferenceOperation or IParameterReferenceOperation
                or IDiscardOperation or IArrayElementReferenceOperation or IFlowCaptureReferenceOperation;

        private static bool IsTaskType(INamedTypeSymbol? type)
            => type is { Name: "Task" or "ValueTask" } && FromTasksNamespace(type.OriginalDefinition);
    }
}
