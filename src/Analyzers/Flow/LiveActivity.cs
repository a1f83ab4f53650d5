using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// "An activity started in this method is live at this point": bounded to one function (method, local function or
    /// lambda). An activity is started by any value <see cref="ActivityStarts"/> recognises (a start call, a conditional
    /// start, a fluent <c>new Activity(..).Start()</c>, a helper of the compilation that returns a started activity) held
    /// in a local or a <c>using</c> resource, or by <c>local.Start()</c> on a created activity. It is live within its
    /// <c>using</c> scope; a plain local is live wherever a path from the start reaches without ending it (decided on the
    /// control-flow graph by <see cref="ActivityLifetime.IsLiveAt"/>: after <c>if (x) activity?.Stop();</c> it is still
    /// live on the other path).
    /// </summary>
    internal sealed class LiveActivity
    {
        private readonly IOperation? startOperation;
        private int endsInFunction; // 0 unknown, 1 ends here, 2 does not: shared between rules running in parallel

        private LiveActivity(string name, ILocalSymbol? local, int start, int liveEnd, bool? endsInFunction, IOperation? startOperation)
        {
            Name = name;
            Local = local;
            Start = start;
            LiveEnd = liveEnd;
            this.endsInFunction = endsInFunction switch { true => 1, false => 2, null => 0 };
            this.startOperation = startOperation;
        }

        /// <summary>The local's name, else the activity name literal, else "the activity".</summary>
        public string Name { get; }

        public ILocalSymbol? Local { get; }

        /// <summary>The call that started the activity.</summary>
        public IInvocationOperation? StartCall { get; private set; }

        public int Start { get; }

        /// <summary>Where the activity ends (the <c>using</c> scope's end or the last stop call), or the declaring block's end.</summary>
        public int LiveEnd { get; }

        /// <summary>True when the function itself ends the activity (a <c>using</c>, or a stop/dispose call on every path).</summary>
        public bool EndsInFunction(in FlowGraphSource graphs)
        {
            var known = Volatile.Read(ref endsInFunction);
            if (known == 0)
            {
                // The same path analysis as CTX102: only an activity this function ends "ends here"; one that is handed off
                // (returned, stored, captured) is still live at the stop call but not ended by it.
                var outcome = startOperation is not null && Local is not null
                    ? ActivityLifetime.Analyze(startOperation, Local, graphs)
                    : LifetimeOutcome.Unknown;
                known = outcome is not (LifetimeOutcome.Transferred or LifetimeOutcome.Unknown) ? 1 : 2;
                Volatile.Write(ref endsInFunction, known);
            }

            return known == 1;
        }

        /// <summary>
        /// The activities each function starts, found once per function and shared by every rule and every point asked
        /// about (CTX201, CTX204, CTX205 and CTX207 ask at each of their calls; the driver shares operation trees between
        /// analyzers, and the table lets the list die with its tree).
        /// </summary>
        private static readonly ConditionalWeakTable<IOperation, LiveActivity[]> StartsByFunction = new ConditionalWeakTable<IOperation, LiveActivity[]>();

        /// <summary>The innermost activity started in <paramref name="at"/>'s own function that is live at it, if any.</summary>
        public static LiveActivity? At(IOperation at, in FlowGraphSource graphs)
        {
            var function = FlowOperations.EnclosingFunction(at);
            if (function is null || at.SemanticModel is null)
            {
                return null;
            }

            var position = at.Syntax.SpanStart;
            List<LiveActivity>? candidates = null;
            foreach (var candidate in StartsIn(function, KnownTypes.Get(at.SemanticModel.Compilation), graphs.CancellationToken))
            {
                if (candidate.Start <= position && position < candidate.LiveEnd)
                {
                    (candidates ??= new List<LiveActivity>()).Add(candidate);
                }
            }

            if (candidates is null)
            {
                return null;
            }

            // The innermost (latest started) activity that a path reaches this point with.
            candidates.Sort((a, b) => b.Start.CompareTo(a.Start));
            foreach (var candidate in candidates)
            {
                if (candidate.IsLiveAt(at, graphs))
                {
                    return candidate;
                }
            }

            return null;
        }

        private const Names StartNames = Names.StartActivity | Names.CreateActivity | Names.Start | Names.StartActiveSpan | Names.StartSpan | Names.StartRootSpan;

        private static readonly LiveActivity[] None = new LiveActivity[0];

        private static LiveActivity[] StartsIn(IOperation function, KnownTypes types, CancellationToken cancellationToken)
        {
            if (StartsByFunction.TryGetValue(function, out var known))
            {
                return known;
            }

            // A function that names no start method and no start helper starts nothing: one lookup in the file's shared
            // name index instead of a walk of its operations (most functions asked about queue work with no activity).
            // A compilation that neither references OpenTelemetry nor spells a telemetry word in any file starts none.
            if (!types.MayUseTelemetry(cancellationToken)
                || !NameIndex.Any(ImmutableArray.Create(function), StartNames, cancellationToken)
                && !ActivityStarts.CallsStartHelper(ImmutableArray.Create(function), ActivityStarts.StartHelperNames(types, cancellationToken), cancellationToken))
            {
                return StartsByFunction.GetValue(function, _ => None);
            }

            // Built outside the table's lock; a cancelled search caches nothing.
            var found = new List<LiveActivity>();
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var candidate = operation switch
                {
                    IVariableDeclaratorOperation declarator => FromDeclarator(declarator, function, types, cancellationToken),
                    IUsingOperation { Resources: { } resource } usingOperation when ActivityStarts.StartOf(resource, types, true, cancellationToken) is { } call
                        => FromUsingResource(usingOperation, call),
                    ISimpleAssignmentOperation { Target: ILocalReferenceOperation target, Parent: IExpressionStatementOperation } assignment
                        when ActivityStarts.StartOf(assignment.Value, types, true, cancellationToken) is { } call
                        => FromStartedLocal(target.Local, call, assignment.Syntax.Span.End, assignment.Syntax, function),
                    IInvocationOperation { TargetMethod.Name: "Start" } startCall when ActivityStarts.IsStartCall(startCall, types, true)
                        && ReceiverLocal(startCall) is { } created && IsCreatedActivityLocal(created, function, types)
                        => FromStartedLocal(created, startCall, startCall.Syntax.Span.End, startCall.Syntax, function),
                    _ => null,
                };

                if (candidate is not null)
                {
                    found.Add(candidate);
                }
            }

            var starts = found.ToArray();
            return StartsByFunction.GetValue(function, _ => starts);
        }

        /// <summary>Does this value start an activity and make it current?</summary>
        public static bool IsStart(IOperation? operation, KnownTypes types, CancellationToken cancellationToken = default)
            => ActivityStarts.StartOf(operation, types, true, cancellationToken) is not null;

        private bool IsLiveAt(IOperation at, in FlowGraphSource graphs)
        {
            if (startOperation is null || Local is null)
            {
                return true; // a using scope: its syntax is its lifetime
            }

            // The path walk only matters when something between the start and this point may end the activity: without
            // an end call on the local in between, every path from the start reaches here with it live (and no graph is built).
            if (!MayEndBetween(Local.Name, startOperation.Syntax.Span.End, at.Syntax.SpanStart, startOperation.Syntax))
            {
                return true;
            }

            return ActivityLifetime.IsLiveAt(startOperation, Local, at, graphs) ?? true;
        }

        /// <summary>A <c>Stop</c>/<c>Dispose</c>/<c>End</c> call on the local (<c>a.Stop()</c>, <c>a?.Dispose()</c>) between two positions of the function.</summary>
        private static bool MayEndBetween(string name, int from, int to, SyntaxNode start)
        {
            var function = start.FirstAncestorOrSelf<SyntaxNode>(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.AnonymousFunctionExpressionSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.LocalFunctionStatementSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.AccessorDeclarationSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax);
            if (function is null || to <= from)
            {
                return function is null;
            }

            foreach (var node in function.DescendantNodes(new Microsoft.CodeAnalysis.Text.TextSpan(from, to - from)))
            {
                if (node is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax invocation && invocation.SpanStart >= from && invocation.SpanStart < to)
                {
                    switch (invocation.Expression)
                    {
                        case Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax receiver, Name.Identifier.ValueText: "Stop" or "Dispose" or "End" }
                            when receiver.Identifier.ValueText == name:
                            return true;
                        case Microsoft.CodeAnalysis.CSharp.Syntax.MemberBindingExpressionSyntax { Name.Identifier.ValueText: "Stop" or "Dispose" or "End" }
                            when invocation.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ConditionalAccessExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax conditionalReceiver }
                                && conditionalReceiver.Identifier.ValueText == name:
                            return true;
                    }
                }
                else if (node is Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax argument } && argument.Identifier.ValueText == name)
                {
                    return true; // handed to a method that may end it
                }
            }

            return false;
        }

        private static LiveActivity? FromDeclarator(IVariableDeclaratorOperation declarator, IOperation function, KnownTypes types, CancellationToken cancellationToken)
        {
            var call = ActivityStarts.StartOf(declarator.Initializer?.Value, types, true, cancellationToken);
            if (call is null)
            {
                return null;
            }

            var local = declarator.Symbol;
            var start = declarator.Syntax.Span.End;
            for (var parent = declarator.Parent; parent is not null && parent != function; parent = parent.Parent)
            {
                if (parent is IUsingDeclarationOperation usingDeclaration)
                {
                    var scope = usingDeclaration.Syntax.Parent;
                    return scope is null ? null : new LiveActivity(local.Name, local, start, scope.Span.End, true, null) { StartCall = call };
                }

                if (parent is IUsingOperation usingOperation)
                {
                    return new LiveActivity(local.Name, local, start, usingOperation.Body.Syntax.Span.End, true, null) { StartCall = call };
                }

                if (parent is not (IVariableDeclarationOperation or IVariableDeclarationGroupOperation))
                {
                    break;
                }
            }

            return FromStartedLocal(local, call, start, declarator.Syntax, function);
        }

        /// <summary>A plain local: live where a path from the start reaches without ending it.</summary>
        private static LiveActivity? FromStartedLocal(ILocalSymbol local, IInvocationOperation call, int start, SyntaxNode startSyntax, IOperation function)
        {
            var lastEnd = -1;
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Stop" or "Dispose" } stop
                    && stop.Syntax.SpanStart > start
                    && stop.Syntax.SpanStart > lastEnd
                    && FlowOperations.IsLocal(stop.Instance, local))
                {
                    lastEnd = stop.Syntax.SpanStart;
                }
            }

            if (lastEnd >= 0)
            {
                return new LiveActivity(local.Name, local, start, lastEnd, null, call) { StartCall = call };
            }

            // Never ended here: live to the end of the block that declares it (or holds the start).
            var block = (local.DeclaringSyntaxReferences.Length == 1 ? local.DeclaringSyntaxReferences[0].GetSyntax() : startSyntax)
                .FirstAncestorOrSelf<BlockSyntax>();
            return block is null ? null : new LiveActivity(local.Name, local, start, block.Span.End, false, call) { StartCall = call };
        }

        private static LiveActivity FromUsingResource(IUsingOperation usingOperation, IInvocationOperation resource)
        {
            var name = "the activity";
            if (resource.Arguments.Length > 0 && resource.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string literal })
            {
                name = literal;
            }

            return new LiveActivity(name, null, resource.Syntax.Span.End, usingOperation.Body.Syntax.Span.End, true, null) { StartCall = resource };
        }

        private static ILocalSymbol? ReceiverLocal(IInvocationOperation call)
        {
            var instance = FlowOperations.SkipConversions(call.Instance);
            if (instance is IConditionalAccessInstanceOperation)
            {
                for (var parent = call.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation access)
                    {
                        instance = FlowOperations.SkipConversions(access.Operation);
                        break;
                    }
                }
            }

            return (instance as ILocalReferenceOperation)?.Local;
        }

        /// <summary>A local of this function initialised with <c>new Activity(..)</c> or <c>source.CreateActivity(..)</c>.</summary>
        private static bool IsCreatedActivityLocal(ILocalSymbol local, IOperation function, KnownTypes types)
        {
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    return ActivityStarts.IsFreshActivity(declarator.Initializer?.Value, types);
                }
            }

            return false;
        }
    }

    /// <summary>Small operation helpers the CTX2xx rules share (name-based type checks, one-function walks, hop APIs).</summary>
    internal static class FlowOperations
    {
        /// <summary>The innermost lambda, local function or root operation enclosing <paramref name="operation"/>.</summary>
        public static IOperation? EnclosingFunction(IOperation operation)
        {
            var current = operation.Parent;
            IOperation? last = operation;
            while (current is not null)
            {
                if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    return current;
                }

                last = current;
                current = current.Parent;
            }

            return last;
        }

        /// <summary>Every operation of <paramref name="function"/>, not descending into nested lambdas or local functions.</summary>
        public static IEnumerable<IOperation> OwnOperations(IOperation function)
        {
            var stack = new Stack<IOperation>();
            foreach (var child in function.ChildOperations)
            {
                stack.Push(child);
            }

            while (stack.Count > 0)
            {
                var operation = stack.Pop();
                yield return operation;
                if (operation is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    continue;
                }

                foreach (var child in operation.ChildOperations)
                {
                    stack.Push(child);
                }
            }
        }

        /// <summary>Every operation under <paramref name="root"/>, nested functions included.</summary>
        public static IEnumerable<IOperation> AllOperations(IOperation root)
        {
            var stack = new Stack<IOperation>();
            stack.Push(root);
            while (stack.Count > 0)
            {
                var operation = stack.Pop();
                yield return operation;
                foreach (var child in operation.ChildOperations)
                {
                    stack.Push(child);
                }
            }
        }

        public static IOperation? SkipConversions(IOperation? operation)
        {
            while (operation is IConversionOperation { OperatorMethod: null } conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        /// <summary><c>local</c>, or <c>local?.</c> (the instance of a conditional access on the local).</summary>
        public static bool IsLocal(IOperation? operation, ILocalSymbol local)
        {
            operation = SkipConversions(operation);
            if (operation is IConditionalAccessInstanceOperation)
            {
                for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation access)
                    {
                        operation = SkipConversions(access.Operation);
                        break;
                    }
                }
            }

            return operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);
        }

        /// <summary>Matches a top-level type by dotted namespace and name without allocating.</summary>
        public static bool IsType(ITypeSymbol? type, string dottedNamespace, string name)
        {
            if (type is null || type.Name != name || type.ContainingType is not null)
            {
                return false;
            }

            var ns = type.ContainingNamespace;
            var end = dottedNamespace.Length;
            while (end > 0)
            {
                var dot = dottedNamespace.LastIndexOf('.', end - 1);
                var part = dottedNamespace.Substring(dot + 1, end - dot - 1);
                if (ns is null || ns.Name != part)
                {
                    return false;
                }

                ns = ns.ContainingNamespace;
                end = dot < 0 ? 0 : dot;
            }

            return ns is { IsGlobalNamespace: true };
        }

        /// <summary>The <c>ExecutionContext.SuppressFlow()</c> region <paramref name="at"/> is in, if any (same function).</summary>
        public static IInvocationOperation? SuppressFlowRegion(IOperation at)
        {
            var function = EnclosingFunction(at);
            if (function is null)
            {
                return null;
            }

            var position = at.Syntax.SpanStart;
            foreach (var operation in OwnOperations(function))
            {
                if (operation is IInvocationOperation { TargetMethod: { Name: "SuppressFlow", IsStatic: true } method } suppress
                    && KnownTypes.Is(method.ContainingType, KnownTypes.Of(suppress)?.ExecutionContext)
                    && suppress.Syntax.Span.End <= position
                    && position < SuppressFlowRegionEnd(suppress, function))
                {
                    return suppress;
                }
            }

            return null;
        }

        /// <summary>
        /// Where a suppression certainly still holds: the end of its <c>using</c> scope, else the first
        /// <c>RestoreFlow()</c>/<c>Undo()</c>/<c>Dispose()</c> after it by position, else the end of the enclosing block.
        /// Work before that point runs suppressed on every path from the suppression (the silencing question of CTX204 and
        /// CTX205); work after a restore may still run suppressed on another path, see <see cref="MayRunSuppressed"/>.
        /// </summary>
        public static int SuppressFlowRegionEnd(IInvocationOperation suppress, IOperation function)
            => SuppressFlowRegionEnd(suppress, function, out _);

        private static int SuppressFlowRegionEnd(IInvocationOperation suppress, IOperation function, out bool endsAtRestore)
        {
            endsAtRestore = false;
            var types = KnownTypes.Of(suppress);
            for (var parent = suppress.Parent; parent is not null && parent != function; parent = parent.Parent)
            {
                if (parent is IUsingOperation usingOperation)
                {
                    return usingOperation.Body.Syntax.Span.End;
                }

                if (parent is IUsingDeclarationOperation usingDeclaration)
                {
                    return usingDeclaration.Syntax.Parent?.Span.End ?? int.MaxValue;
                }

                if (parent is IBlockOperation)
                {
                    break;
                }
            }

            var start = suppress.Syntax.Span.End;
            var end = int.MaxValue;
            foreach (var operation in OwnOperations(function))
            {
                if (IsFlowRestore(operation, types) && operation.Syntax.SpanStart >= start && operation.Syntax.SpanStart < end)
                {
                    end = operation.Syntax.SpanStart;
                }
            }

            if (end != int.MaxValue)
            {
                endsAtRestore = true;
                return end;
            }

            var block = suppress.Syntax.FirstAncestorOrSelf<BlockSyntax>();
            return block?.Span.End ?? int.MaxValue;
        }

        /// <summary>
        /// Does <paramref name="at"/> (in <paramref name="function"/>, after <paramref name="suppress"/>) run with the flow
        /// suppressed on some path? Before the first restore by position it does (<see cref="SuppressFlowRegionEnd(IInvocationOperation, IOperation)"/>);
        /// after it, when the control-flow graph has a path from the suppression that meets no restore
        /// (<c>if (cached) { flow.Undo(); return; }</c> restores one path only). Work outside the suppression's block or
        /// <c>using</c> scope is never in its region.
        /// </summary>
        public static bool MayRunSuppressed(IInvocationOperation suppress, IOperation at, IOperation function, in FlowGraphSource graphs)
        {
            var start = suppress.Syntax.Span.End;
            var position = at.Syntax.SpanStart;
            if (position < start)
            {
                return false;
            }

            var end = SuppressFlowRegionEnd(suppress, function, out var endsAtRestore);
            if (position < end)
            {
                return true;
            }

            var block = suppress.Syntax.FirstAncestorOrSelf<BlockSyntax>();
            if (!endsAtRestore || block is null || !block.Span.Contains(at.Syntax.Span))
            {
                return false;
            }

            var cfg = FlowGraphs.GraphOfFunctionAround(at, graphs);
            return cfg is not null
                && KnownTypes.Of(suppress) is { } types
                && FlowPaths.ReachesAvoiding(cfg, suppress.Syntax, at.Syntax, operation => IsFlowRestore(operation, types), graphs.CancellationToken) == true;
        }

        /// <summary><c>ExecutionContext.RestoreFlow()</c>, <c>AsyncFlowControl.Undo()</c> or <c>.Dispose()</c>.</summary>
        /// <remarks>The graph's operations have no semantic model: the known types come from the tree's.</remarks>
        private static bool IsFlowRestore(IOperation operation, KnownTypes? types)
            => operation is IInvocationOperation { TargetMethod.Name: "RestoreFlow" or "Undo" or "Dispose" } call
                && types is not null
                && (KnownTypes.Is(call.TargetMethod.ContainingType, types.ExecutionContext) || KnownTypes.Is(call.TargetMethod.ContainingType, types.AsyncFlowControl));

        /// <summary>Reads inherited context: <c>Activity.Current</c>, baggage reads, <c>RuntimeContext.GetValue</c>, <c>Tracer.CurrentSpan</c>.</summary>
        public static bool ReadsAmbientContext(IOperation operation)
        {
            if (KnownTypes.Of(operation) is not { } types)
            {
                return false;
            }

            switch (operation)
            {
                case IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property }
                    when !IsAssignmentTarget(operation):
                    return KnownTypes.Is(property.ContainingType, types.Activity) || KnownTypes.Is(property.ContainingType, types.Baggage);
                case IPropertyReferenceOperation { Property: { Name: "CurrentSpan", IsStatic: true } property }:
                    return KnownTypes.Is(property.ContainingType, types.Tracer);
                case IInvocationOperation { TargetMethod: { IsStatic: true } method }:
                    return (method.Name is "GetBaggage" or "GetEnumerator" && KnownTypes.Is(method.ContainingType, types.Baggage))
                        || (method.Name is "GetValue" && KnownTypes.Is(method.ContainingType, types.RuntimeContext))
                        || (method.Name is "BeginScope" && KnownTypes.Is(method.ContainingType, types.LoggerExtensions));
                case IInvocationOperation { TargetMethod: { Name: "BeginScope" } method }:
                    return KnownTypes.Is(method.ContainingType, types.ILogger);
                default:
                    return false;
            }
        }

        private static bool IsAssignmentTarget(IOperation operation)
            => operation.Parent is IAssignmentOperation assignment && assignment.Target == operation;
    }
}
