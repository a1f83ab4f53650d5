using System.Threading;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX204 across a call: a method or constructor of the compilation that starts long-lived work
    /// (<see cref="LongLivedWork"/>: a forever loop on <c>Task.Run</c>/<c>StartNew</c>, a thread, a stored timer), called
    /// while an activity started in the caller is live. The work captures the caller's ExecutionContext and parents on that
    /// activity for as long as it runs. Reported at the call, with the callee's start as an additional location. Silent when
    /// the activity is not live at the call on any path, when the call is under suppressed flow, or when the caller ends the
    /// work before the activity ends (the object is disposed or stopped, or a token the call was given is cancelled).
    /// </summary>
    internal static class CTX204CalleeStartsWork
    {
        public static void Analyze(OperationAnalysisContext context, IMethodSymbol? callee)
        {
            var call = context.Operation;
            var compilation = call.SemanticModel?.Compilation;
            if (callee is null
                || compilation is null
                || callee.DeclaringSyntaxReferences.Length != 1
                || SymbolEqualityComparer.Default.Equals(callee.OriginalDefinition, context.ContainingSymbol.OriginalDefinition))
            {
                return;
            }

            var cancellationToken = context.CancellationToken;
            var start = LongLivedWork.StartIn(callee, compilation, cancellationToken);
            if (start is null)
            {
                return;
            }

            var graphs = new FlowGraphSource(context);
            var live = LiveActivity.At(call, graphs);
            if (live is null
                || !live.EndsInFunction(graphs)
                || FlowOperations.SuppressFlowRegion(call) is not null
                || EndedWhileLive(call, live))
            {
                return;
            }

            var location = call.Syntax is InvocationExpressionSyntax syntax ? syntax.Expression.GetLocation() : call.Syntax.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX204FireAndForgetOutlivesSpan, location, new[] { start }, live.Name));
        }

        /// <summary>
        /// The caller stops the work before the activity ends: the created object (or the receiver of the call) is held by a
        /// <c>using</c> that ends first, or is stopped, disposed, closed or cancelled before the activity ends, or a
        /// <c>CancellationTokenSource</c> is cancelled then and the call was given a token.
        /// </summary>
        private static bool EndedWhileLive(IOperation call, LiveActivity live)
        {
            var function = FlowOperations.EnclosingFunction(call);
            if (function is null)
            {
                return true;
            }

            var holder = Holder(call, live, out var usingEndsFirst);
            if (usingEndsFirst)
            {
                return true;
            }

            var takesToken = false;
            var arguments = call switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => default,
            };

            if (!arguments.IsDefault)
            {
                foreach (var argument in arguments)
                {
                    takesToken |= argument.Value.Type is { Name: "CancellationToken" } type && FlowOperations.IsType(type, "System.Threading", "CancellationToken");
                }
            }

            var after = call.Syntax.Span.End;
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation is not IInvocationOperation { TargetMethod.Name: var name } end
                    || end.Syntax.SpanStart < after
                    || end.Syntax.SpanStart >= live.LiveEnd)
                {
                    continue;
                }

                if (name is "Stop" or "Dispose" or "DisposeAsync" or "Close" or "Cancel" && holder is not null && SameSymbol(end.Instance, holder))
                {
                    return true;
                }

                if (takesToken && name is "Cancel" or "CancelAsync" && FlowOperations.IsType(end.TargetMethod.ContainingType, "System.Threading", "CancellationTokenSource"))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The local or field that holds the started work: the created object's variable, or the call's receiver.</summary>
        private static ISymbol? Holder(IOperation call, LiveActivity live, out bool usingEndsFirst)
        {
            usingEndsFirst = false;
            if (call is IInvocationOperation invocation)
            {
                return Symbol(invocation.Instance);
            }

            var value = call;
            while (value.Parent is IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }

            switch (value.Parent)
            {
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    for (var parent = declarator.Parent; parent is not null; parent = parent.Parent)
                    {
                        if (parent is IUsingDeclarationOperation usingDeclaration)
                        {
                            usingEndsFirst = usingDeclaration.Syntax.Parent is { } scope && scope.Span.End <= live.LiveEnd;
                            break;
                        }

                        if (parent is IUsingOperation usingOperation)
                        {
                            usingEndsFirst = usingOperation.Body.Syntax.Span.End <= live.LiveEnd;
                            break;
                        }

                        if (parent is not (IVariableDeclarationOperation or IVariableDeclarationGroupOperation))
                        {
                            break;
                        }
                    }

                    return declarator.Symbol;
                case ISimpleAssignmentOperation assignment when assignment.Value == value:
                    return Symbol(assignment.Target);
                case IUsingOperation usingResource:
                    usingEndsFirst = usingResource.Body.Syntax.Span.End <= live.LiveEnd;
                    return null;
                default:
                    return null;
            }
        }

        private static ISymbol? Symbol(IOperation? operation)
        {
            operation = FlowOperations.SkipConversions(operation);
            if (operation is IConditionalAccessInstanceOperation)
            {
                for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation access)
                    {
                        operation = FlowOperations.SkipConversions(access.Operation);
                        break;
                    }
                }
            }

            return operation switch
            {
                ILocalReferenceOperation local => local.Local,
                IFieldReferenceOperation field => field.Field,
                IPropertyReferenceOperation property => property.Property,
                _ => null,
            };
        }

        private static bool SameSymbol(IOperation? instance, ISymbol holder) =>
            Symbol(instance) is { } symbol && SymbolEqualityComparer.Default.Equals(symbol, holder);
    }
}
