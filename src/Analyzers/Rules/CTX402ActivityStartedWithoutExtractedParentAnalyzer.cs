using System.Collections.Generic;
using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>CTX402: an activity started, or ambient baggage read, after an Extract whose context it ignores.</summary>
    public sealed partial class CTX401ExtractedContextDiscardedAnalyzer
    {
        internal const string KindProperty = "Kind";
        internal const string ParentKind = "Parent";
        internal const string BaggageKind = "Baggage";
        internal const string LocalProperty = "Local";

        /// <summary>
        /// The first activity start without the extracted parent and the first ambient baggage read after the Extract
        /// whose result is in <paramref name="local"/>, each reported once; true when one was.
        /// </summary>
        private static bool ReportStartsWithoutExtractedParent(OperationAnalysisContext context, IInvocationOperation invocation, KnownTypes types, ILocalSymbol local, IOperation root, PropagationWiring.LocalUse use)
        {
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

            return reported;
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

        /// <summary><c>Type.Member</c> of the call or property read, for the message.</summary>
        private static string MemberName(IOperation operation) => operation switch
        {
            IInvocationOperation call => call.TargetMethod.ContainingType?.Name + "." + call.TargetMethod.Name,
            IPropertyReferenceOperation property => property.Property.ContainingType?.Name + "." + property.Property.Name,
            _ => operation.Syntax.ToString(),
        };
    }
}
