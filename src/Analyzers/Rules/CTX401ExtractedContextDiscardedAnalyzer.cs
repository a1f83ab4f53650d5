using System.Collections.Generic;
using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX401, CTX402 and CTX403: what happens to the result of <c>TextMapPropagator.Extract</c> inside one method.
    /// They share one analysis: every <c>Extract</c> call (a cheap name check first) is followed to the local it is
    /// stored in, and that local's uses are classified within the same body. No flow graph, no interprocedural step:
    /// a context passed to another method, returned or stored in a field is assumed used.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX401ExtractedContextDiscardedAnalyzer : DiagnosticAnalyzer
    {
        internal const string KindProperty = "Kind";
        internal const string ParentKind = "Parent";
        internal const string BaggageKind = "Baggage";
        internal const string LocalProperty = "Local";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.CTX401ExtractedContextDiscarded,
            Descriptors.CTX402ActivityStartedWithoutExtractedParent,
            Descriptors.CTX403ExtractIgnoresCarrier);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (types.TextMapPropagator is null || types.PropagationContext is null)
                {
                    return;
                }

                // Only bodies that name Extract get a callback per call (a token scan per file, no binding).
                NameIndex.RegisterWhereNamed(start, Names.Extract, c => AnalyzeInvocation(c, types), OperationKind.Invocation);
            });
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (invocation.TargetMethod.Name != "Extract" || !PropagationWiring.IsPropagatorCall(invocation.TargetMethod, "Extract", types))
            {
                return;
            }

            var insidePropagator = PropagationWiring.IsInsidePropagator(context.ContainingSymbol, types);

            // CTX403: a first argument that is not default may be returned as is, carrier unread.
            var first = PropagationWiring.Argument(invocation, 0);
            if (!insidePropagator && first is not null && !first.IsImplicit && PropagationWiring.Unwrap(first.Value) is not IInvalidOperation && !PropagationWiring.IsDefaultValue(first.Value)
                && !IsLocalStillDefault(first.Value, invocation))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX403ExtractIgnoresCarrier, PropagationWiring.Unwrap(first.Value).Syntax.GetLocation()));
            }

            if (insidePropagator)
            {
                return;
            }

            // CTX401: thrown away.
            var parent = PropagationWiring.ParentSkippingConversions(invocation);
            if (parent is IExpressionStatementOperation
                || parent is ISimpleAssignmentOperation { Target: IDiscardOperation })
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX401ExtractedContextDiscarded, invocation.Syntax.GetLocation(), "thrown away"));
                return;
            }

            var local = PropagationWiring.StoredInLocal(invocation);
            if (local is null)
            {
                return;
            }

            var root = PropagationWiring.ScopeRoot(invocation);
            var use = PropagationWiring.ClassifyLocal(root, local);
            if (use.Escapes)
            {
                return;
            }

            // Reading the extracted ActivityContext for a tag or a test (its TraceFlags, IsRemote, TraceId, '!= default',
            // IsValid()) does not make it anybody's parent: only a use of the value itself does.
            var parentUsed = use.ReadsActivityContext && ActivityContextUsedAsValue(root, local);
            var reported = false;
            var extractEnd = invocation.Syntax.Span.End;
            IInvocationOperation? firstStart = null;
            IOperation? firstAmbientRead = null;
            // One pre-order walk of the body that holds the Extract, not descending into nested lambdas and local
            // functions (their operations belong to another body), in the order of IOperation.Descendants().
            var stack = new Stack<IOperation>();
            PushChildren(stack, root);
            while (stack.Count > 0 && ((!parentUsed && firstStart is null) || (!use.ReadsBaggage && firstAmbientRead is null)))
            {
                var operation = stack.Pop();
                if (operation is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    PushChildren(stack, operation);
                }

                if (operation.Syntax.SpanStart < extractEnd)
                {
                    continue;
                }

                if (!parentUsed && firstStart is null && operation is IInvocationOperation call
                    && PropagationWiring.IsActivityStartName(call.TargetMethod.Name))
                {
                    var state = PropagationWiring.GetParentState(call, types, out var parentArgument);
                    if (state == PropagationWiring.ParentState.Omitted || state == PropagationWiring.ParentState.ExplicitDefault
                        || (state == PropagationWiring.ParentState.Given && IsAmbientActivityContext(parentArgument?.Value, types)))
                    {
                        firstStart = call;
                    }
                }
                else if (!parentUsed && firstStart is null && operation is IInvocationOperation { TargetMethod.Name: "Start" } fluentStart
                    && ActivityStarts.IsStartCall(fluentStart, types, true) && IsFreshWithoutParent(fluentStart.Instance, types))
                {
                    // new Activity(name).Start(): parented on whatever is current, not on the extracted context.
                    firstStart = fluentStart;
                }
                else if (!use.ReadsBaggage && firstAmbientRead is null && PropagationWiring.IsAmbientBaggageRead(operation, types))
                {
                    firstAmbientRead = operation;
                }
            }

            if (firstStart is not null)
            {
                var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, ParentKind).Add(LocalProperty, local.Name);
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CTX402ActivityStartedWithoutExtractedParent,
                    firstStart.Syntax.GetLocation(),
                    properties,
                    MemberName(firstStart),
                    local.Name));
                reported = true;
            }

            if (firstAmbientRead is not null)
            {
                var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, BaggageKind).Add(LocalProperty, local.Name);
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CTX402ActivityStartedWithoutExtractedParent,
                    firstAmbientRead.Syntax.GetLocation(),
                    properties,
                    MemberName(firstAmbientRead),
                    local.Name));
                reported = true;
            }

            if (!reported && !use.ReadsActivityContext && !use.ReadsBaggage)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX401ExtractedContextDiscarded, invocation.Syntax.GetLocation(), "stored in '" + local.Name + "' and never used"));
            }
        }

        /// <summary>The extracted local's <c>ActivityContext</c> is used as a value: passed, stored, converted, returned.</summary>
        private static bool ActivityContextUsedAsValue(IOperation root, ILocalSymbol local)
        {
            foreach (var operation in root.Descendants())
            {
                if (operation is not IPropertyReferenceOperation { Property.Name: "ActivityContext", Instance: ILocalReferenceOperation reference } property
                    || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    continue;
                }

                switch (property.Parent)
                {
                    case IPropertyReferenceOperation member when member.Instance == property:
                        continue; // .TraceFlags, .IsRemote, .TraceId, .SpanId, .TraceState: read for a tag or a test
                    case IInvocationOperation call when call.Instance == property:
                        continue; // .IsValid(), .ToString()
                    case IBinaryOperation:
                        continue; // != default
                    case IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { IsExtensionMethod: true, ReturnType.SpecialType: SpecialType.System_Boolean } } test }
                        when test.Arguments.Length > 0 && test.Arguments[0] == property.Parent:
                        continue; // .IsValid(): a test
                    default:
                        return true;
                }
            }

            return false;
        }

        /// <summary><c>Activity.Current?.Context</c>, <c>Activity.Current.Context</c>, optionally <c>?? default</c>.</summary>
        private static bool IsAmbientActivityContext(IOperation? value, KnownTypes types)
        {
            value = PropagationWiring.Unwrap(value!);
            if (value is ICoalesceOperation coalesce && PropagationWiring.IsDefaultValue(coalesce.WhenNull))
            {
                value = PropagationWiring.Unwrap(coalesce.Value);
            }

            if (value is IConditionalAccessOperation access)
            {
                if (access.WhenNotNull is not IPropertyReferenceOperation { Property.Name: "Context" })
                {
                    return false;
                }

                value = PropagationWiring.Unwrap(access.Operation);
            }
            else if (value is IPropertyReferenceOperation { Property.Name: "Context", Instance: { } instance })
            {
                value = PropagationWiring.Unwrap(instance);
            }
            else
            {
                return false;
            }

            return value is IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } current }
                && SymbolEqualityComparer.Default.Equals(current.ContainingType, types.Activity);
        }

        /// <summary><c>new Activity(..)</c> or <c>source.CreateActivity(..)</c> with no parent given on the way to <c>Start()</c>.</summary>
        private static bool IsFreshWithoutParent(IOperation? instance, KnownTypes types)
        {
            if (!ActivityStarts.IsFreshActivity(instance, types))
            {
                return false;
            }

            for (var operation = PropagationWiring.Unwrap(instance!); operation is not null;)
            {
                switch (operation)
                {
                    case IInvocationOperation { TargetMethod.Name: "SetParentId" or "AddLink" }:
                        return false;
                    case IInvocationOperation { TargetMethod.Name: "CreateActivity" }:
                        return false; // CreateActivity has its own parent argument: judged at the CreateActivity call
                    case IInvocationOperation fluent when fluent.Instance is not null:
                        operation = PropagationWiring.Unwrap(fluent.Instance);
                        continue;
                    case IObjectCreationOperation:
                        return true;
                    default:
                        return false;
                }
            }

            return false;
        }

        private static void PushChildren(Stack<IOperation> stack, IOperation operation)
        {
            foreach (var child in operation.ChildOperations.Reverse())
            {
                stack.Push(child);
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

        /// <summary><c>Type.Member</c> of the call or property read, for the message.</summary>
        private static string MemberName(IOperation operation) => operation switch
        {
            IInvocationOperation call => call.TargetMethod.ContainingType?.Name + "." + call.TargetMethod.Name,
            IPropertyReferenceOperation property => property.Property.ContainingType?.Name + "." + property.Property.Name,
            _ => operation.Syntax.ToString(),
        };
    }
}
