using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>CTX403: an Extract whose first argument is not default returns it unchanged when it already holds a context.</summary>
    public sealed partial class CTX401ExtractedContextDiscardedAnalyzer
    {
        private static void CheckIgnoresCarrier(OperationAnalysisContext context, IInvocationOperation invocation)
        {
            // CTX403: a first argument that is not default may be returned as is, carrier unread.
            var first = PropagationWiring.Argument(invocation, 0);
            if (first is not null && !first.IsImplicit && PropagationWiring.Unwrap(first.Value) is not IInvalidOperation && !PropagationWiring.IsDefaultValue(first.Value)
                && !IsLocalStillDefault(first.Value, invocation))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX403ExtractIgnoresCarrier, PropagationWiring.Unwrap(first.Value).Syntax.GetLocation()));
            }
        }

        /// <summary>
        /// CTX403: the first argument is a local declared with a default value and not written between its declaration
        /// and this read: the result of this very <c>Extract</c> stored back into it (when no loop repeats the call) and
        /// writes after the call do not count; a write before it, in a lambda or local function, by <c>ref</c>/<c>out</c>,
        /// or through a loop that repeats the call does.
        /// </summary>
        private static bool IsLocalStillDefault(IOperation argument, IInvocationOperation extract)
        {
            if (PropagationWiring.Unwrap(argument) is not ILocalReferenceOperation reference)
            {
                return false;
            }

            var local = reference.Local;
            var body = PropagationWiring.ScopeRoot(extract);
            IVariableDeclaratorOperation? declaration = null;
            foreach (var operation in body.Descendants())
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    declaration = declarator;
                }
            }

            if (declaration?.Initializer is not { } initializer || !PropagationWiring.IsDefaultValue(initializer.Value))
            {
                return false;
            }

            // A loop around the call that does not also hold the declaration runs the call again with what it wrote.
            for (var parent = extract.Parent; parent is not null && parent != body; parent = parent.Parent)
            {
                if (parent is ILoopOperation loop && !loop.Syntax.Span.Contains(declaration.Syntax.Span))
                {
                    return false;
                }
            }

            foreach (var operation in body.Descendants())
            {
                if (operation is not ILocalReferenceOperation use || use == reference || !SymbolEqualityComparer.Default.Equals(use.Local, local))
                {
                    continue;
                }

                switch (use.Parent)
                {
                    case IAssignmentOperation assignment when assignment.Target == use:
                        if (PropagationWiring.Unwrap(assignment.Value) == extract
                            || (assignment.Syntax.SpanStart > extract.Syntax.Span.End && PropagationWiring.ScopeRoot(assignment) == body))
                        {
                            continue; // this call's own result, or a write after the read
                        }

                        return false;
                    case IArgumentOperation { Parameter.RefKind: not RefKind.None and not RefKind.In }:
                    case IAddressOfOperation:
                        return false;
                    case IDeconstructionAssignmentOperation:
                        return false;
                }

                if (use.Parent is ITupleOperation { Parent: IDeconstructionAssignmentOperation })
                {
                    return false;
                }
            }

            return true;
        }
    }
}
