using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// "An activity started in this method is live at this point": bounded to one function (method, local function or
    /// lambda), no interprocedural analysis. An activity is started by <c>ActivitySource.StartActivity</c>,
    /// <c>Tracer.StartActiveSpan</c> or <c>Activity.Start()</c> stored in a local (or a <c>using</c> resource); it is
    /// live from its declaration to the end of its <c>using</c> scope, to the first <c>Stop()</c>/<c>Dispose()</c> on the
    /// local, or, when the function never ends it, to the end of the declaring block.
    /// </summary>
    internal sealed class LiveActivity
    {
        private LiveActivity(string name, ILocalSymbol? local, int start, int liveEnd, bool endsInFunction)
        {
            StartCall = null;
            Name = name;
            Local = local;
            Start = start;
            LiveEnd = liveEnd;
            EndsInFunction = endsInFunction;
        }

        /// <summary>The local's name, else the activity name literal, else "the activity".</summary>
        public string Name { get; }

        public ILocalSymbol? Local { get; }

        /// <summary>The call that started the activity.</summary>
        public IInvocationOperation? StartCall { get; private set; }

        public int Start { get; }

        /// <summary>Where the activity ends (the <c>using</c> scope's end or the stop call), or the declaring block's end.</summary>
        public int LiveEnd { get; }

        /// <summary>True when the function itself ends the activity (a <c>using</c> or a stop/dispose call).</summary>
        public bool EndsInFunction { get; }

        /// <summary>The innermost activity started in <paramref name="at"/>'s own function that is live at it, if any.</summary>
        public static LiveActivity? At(IOperation at, CancellationToken cancellationToken)
        {
            var function = FlowOperations.EnclosingFunction(at);
            if (function is null)
            {
                return null;
            }

            var position = at.Syntax.SpanStart;
            LiveActivity? best = null;
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var candidate = operation switch
                {
                    IVariableDeclaratorOperation declarator => FromDeclarator(declarator, function, cancellationToken),
                    IUsingOperation { Resources: IInvocationOperation resource } usingOperation when IsStart(resource) => FromUsingResource(usingOperation, resource),
                    _ => null,
                };

                if (candidate is not null && candidate.Start <= position && position < candidate.LiveEnd
                    && (best is null || candidate.Start > best.Start))
                {
                    best = candidate;
                }
            }

            return best;
        }

        /// <summary>Does this call start an activity and make it current?</summary>
        public static bool IsStart(IOperation? operation)
        {
            if (FlowOperations.SkipConversions(operation) is not IInvocationOperation invocation)
            {
                return false;
            }

            var method = invocation.TargetMethod;
            switch (method.Name)
            {
                case "StartActivity":
                    return FlowOperations.IsType(method.ContainingType, "System.Diagnostics", "ActivitySource");
                case "StartActiveSpan":
                    return FlowOperations.IsType(method.ContainingType, "OpenTelemetry.Trace", "Tracer");
                case "Start":
                    return !method.IsStatic && FlowOperations.IsType(method.ContainingType, "System.Diagnostics", "Activity");
                default:
                    return false;
            }
        }

        private static LiveActivity? FromDeclarator(IVariableDeclaratorOperation declarator, IOperation function, CancellationToken cancellationToken)
        {
            if (!IsStart(declarator.Initializer?.Value))
            {
                return null;
            }

            var result = FromStartedLocal(declarator, function, cancellationToken);
            if (result is not null)
            {
                result.StartCall = FlowOperations.SkipConversions(declarator.Initializer?.Value) as IInvocationOperation;
            }

            return result;
        }

        private static LiveActivity? FromStartedLocal(IVariableDeclaratorOperation declarator, IOperation function, CancellationToken cancellationToken)
        {
            var local = declarator.Symbol;
            var start = declarator.Syntax.Span.End;
            for (var parent = declarator.Parent; parent is not null && parent != function; parent = parent.Parent)
            {
                if (parent is IUsingDeclarationOperation usingDeclaration)
                {
                    var scope = usingDeclaration.Syntax.Parent;
                    return scope is null ? null : new LiveActivity(local.Name, local, start, scope.Span.End, true);
                }

                if (parent is IUsingOperation usingOperation)
                {
                    return new LiveActivity(local.Name, local, start, usingOperation.Body.Syntax.Span.End, true);
                }

                if (parent is not (IVariableDeclarationOperation or IVariableDeclarationGroupOperation))
                {
                    break;
                }
            }

            // A plain local: live until the first Stop()/Dispose() on it, or the declaring block's end.
            var end = int.MaxValue;
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Stop" or "Dispose" } call
                    && call.Syntax.SpanStart > start
                    && call.Syntax.SpanStart < end
                    && FlowOperations.IsLocal(call.Instance, local))
                {
                    end = call.Syntax.SpanStart;
                }
            }

            if (end != int.MaxValue)
            {
                // The same path analysis as CTX102: only an activity this function ends on every path "ends here";
                // one that is handed off (returned, stored) is still live at the stop call but not ended by it.
                var outcome = declarator.Initializer?.Value is { } startCall
                    ? ActivityLifetime.Analyze(startCall, local, cancellationToken)
                    : LifetimeOutcome.Unknown;
                return new LiveActivity(local.Name, local, start, end, outcome is not (LifetimeOutcome.Transferred or LifetimeOutcome.Unknown));
            }

            var block = declarator.Syntax.FirstAncestorOrSelf<BlockSyntax>();
            return block is null ? null : new LiveActivity(local.Name, local, start, block.Span.End, false);
        }

        private static LiveActivity FromUsingResource(IUsingOperation usingOperation, IInvocationOperation resource)
        {
            var name = "the activity";
            if (resource.Arguments.Length > 0 && resource.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string literal })
            {
                name = literal;
            }

            return new LiveActivity(name, null, resource.Syntax.Span.End, usingOperation.Body.Syntax.Span.End, true) { StartCall = resource };
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
                    && IsType(method.ContainingType, "System.Threading", "ExecutionContext")
                    && suppress.Syntax.Span.End <= position
                    && position < SuppressFlowRegionEnd(suppress, function))
                {
                    return suppress;
                }
            }

            return null;
        }

        /// <summary>
        /// Where a suppression ends: the end of its <c>using</c> scope, else the first <c>RestoreFlow()</c>/<c>Undo()</c>/
        /// <c>Dispose()</c> after it, else the end of the enclosing block.
        /// </summary>
        public static int SuppressFlowRegionEnd(IInvocationOperation suppress, IOperation function)
        {
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
                if (operation is IInvocationOperation { TargetMethod.Name: "RestoreFlow" or "Undo" or "Dispose" } call
                    && call.Syntax.SpanStart >= start
                    && call.Syntax.SpanStart < end
                    && (IsType(call.TargetMethod.ContainingType, "System.Threading", "ExecutionContext")
                        || IsType(call.TargetMethod.ContainingType, "System.Threading", "AsyncFlowControl")))
                {
                    end = call.Syntax.SpanStart;
                }
            }

            if (end != int.MaxValue)
            {
                return end;
            }

            var block = suppress.Syntax.FirstAncestorOrSelf<BlockSyntax>();
            return block?.Span.End ?? int.MaxValue;
        }

        /// <summary>Reads inherited context: <c>Activity.Current</c>, baggage reads, <c>RuntimeContext.GetValue</c>, <c>Tracer.CurrentSpan</c>.</summary>
        public static bool ReadsAmbientContext(IOperation operation)
        {
            switch (operation)
            {
                case IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property }
                    when !IsAssignmentTarget(operation):
                    return IsType(property.ContainingType, "System.Diagnostics", "Activity")
                        || IsType(property.ContainingType, "OpenTelemetry", "Baggage");
                case IPropertyReferenceOperation { Property: { Name: "CurrentSpan", IsStatic: true } property }:
                    return IsType(property.ContainingType, "OpenTelemetry.Trace", "Tracer");
                case IInvocationOperation { TargetMethod: { IsStatic: true } method }:
                    return (method.Name is "GetBaggage" or "GetEnumerator" && IsType(method.ContainingType, "OpenTelemetry", "Baggage"))
                        || (method.Name is "GetValue" && IsType(method.ContainingType, "OpenTelemetry.Context", "RuntimeContext"))
                        || (method.Name is "BeginScope" && IsType(method.ContainingType, "Microsoft.Extensions.Logging", "LoggerExtensions"));
                case IInvocationOperation { TargetMethod: { Name: "BeginScope" } method }:
                    return IsType(method.ContainingType, "Microsoft.Extensions.Logging", "ILogger");
                default:
                    return false;
            }
        }

        private static bool IsAssignmentTarget(IOperation operation)
            => operation.Parent is IAssignmentOperation assignment && assignment.Target == operation;
    }
}
