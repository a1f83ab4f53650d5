using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using ContextAnalyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>CTX303: baggage the propagator drops without a log (not a token key, over the header limit, unbounded growth).</summary>
    public sealed partial class CTX301SensitiveBaggageAnalyzer
    {
        /// <summary>Diagnostic property of CTX303: how the write can be routed through the runtime policy (<see cref="PolicyStatic"/>, <see cref="PolicyWrap"/>).</summary>
        public const string StaticSetBaggageProperty = "PolicyFix";

        /// <summary>A static <c>Baggage.SetBaggage</c> call: becomes <c>BaggagePolicy.Default.SetBaggage</c>.</summary>
        public const string PolicyStatic = "Static";

        /// <summary>A pure write that yields a Baggage: wrapped in <c>BaggagePolicy.Default.Apply(...)</c>.</summary>
        public const string PolicyWrap = "Wrap";

        private sealed partial class Analysis
        {
            // ------------------------------------------------------------------ CTX303

            private void CheckDropped(OperationAnalysisContext context, IInvocationOperation invocation, Entry entry, string? key, WriteKind kind)
            {
                if (entry.Value is not null && IsRemoval(entry.Value))
                {
                    return;
                }

                if (key is not null && entry.Key is not null && key.Length > 0 && !BaggageLimits.IsToken(key))
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.BaggageDroppedByPropagator, entry.Key.Syntax.GetLocation(), new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind),
                        key));
                    return;
                }

                if (entry.Value is null)
                {
                    return;
                }

                if (ConstantString(entry.Value) is { } value)
                {
                    var length = BaggageLimits.EntryLength(key ?? string.Empty, value);
                    if (length > BaggageLimits.MaxTotalBytes)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            key is null ? Descriptors.BaggageValueOverHeaderLimit : Descriptors.BaggageEntryOverHeaderLimit,
                            entry.Value.Syntax.GetLocation(), new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind),
                            WithKey(key, length, BaggageLimits.MaxTotalBytes)));
                    }

                    return;
                }

                if (Serialization(entry.Value) is { } how)
                {
                    var descriptor = how.Joins
                        ? key is null ? Descriptors.BaggageValueJoinsCollection : Descriptors.BaggageEntryJoinsCollection
                        : key is null ? Descriptors.BaggageValueSerialized : Descriptors.BaggageEntrySerialized;
                    context.ReportDiagnostic(Diagnostic.Create(
                        descriptor, entry.Value.Syntax.GetLocation(), DiagnosticSeverity.Info, new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind),
                        WithKey(key, how.Api, BaggageLimits.MaxTotalBytes)));
                }
            }

            /// <summary>The message arguments: the key first when the entry has a constant one (its sentence names it), then the rest.</summary>
            private static object[] WithKey(string? key, params object[] rest)
            {
                if (key is null)
                {
                    return rest;
                }

                var all = new object[rest.Length + 1];
                all[0] = key;
                rest.CopyTo(all, 1);
                return all;
            }

            /// <summary>
            /// How the CTX303 fix can route the write through the policy: a static <c>Baggage.SetBaggage</c> becomes
            /// <c>BaggagePolicy.Default.SetBaggage</c> (<see cref="PolicyStatic"/>); a pure write that yields a Baggage
            /// (<c>Baggage.Create</c>, instance <c>SetBaggage</c>) is wrapped in <c>BaggagePolicy.Default.Apply(...)</c>
            /// (<see cref="PolicyWrap"/>).
            /// </summary>
            private ImmutableDictionary<string, string?> StaticSetBaggageProperties(IInvocationOperation invocation, WriteKind kind)
            {
                if (kind != WriteKind.Baggage)
                {
                    return ImmutableDictionary<string, string?>.Empty;
                }

                var value = invocation.TargetMethod.IsStatic && invocation.TargetMethod.Name == "SetBaggage" ? PolicyStatic : PolicyWrap;
                return ImmutableDictionary<string, string?>.Empty.Add(StaticSetBaggageProperty, value);
            }

            private bool IsPolicyArgument(IInvocationOperation invocation)
            {
                var parent = invocation.Parent;
                while (parent is IConversionOperation)
                {
                    parent = parent.Parent;
                }

                return policy is not null && parent is IArgumentOperation { Parent: IInvocationOperation outer } &&
                       SymbolEqualityComparer.Default.Equals(outer.TargetMethod.ContainingType, policy);
            }

            /// <summary>How a value is built from data of any size: by serialisation or by joining a collection, with the API called.</summary>
            private static (bool Joins, string Api)? Serialization(IOperation value)
            {
                value = Unwrap(value);
                if (value is not IInvocationOperation invocation)
                {
                    return null;
                }

                var method = invocation.TargetMethod;
                var type = method.ContainingType;
                if (type is null)
                {
                    return null;
                }

                if ((method.Name == "Serialize" && type.Name == "JsonSerializer") ||
                    (method.Name == "SerializeObject" && type.Name == "JsonConvert") ||
                    (method.Name == "Serialize" && type.Name == "XmlSerializer"))
                {
                    return (false, type.Name + "." + method.Name);
                }

                if (type.SpecialType == SpecialType.System_String && (method.Name == "Join" || method.Name == "Concat"))
                {
                    // string.Join(",", a, b) with a fixed params list is bounded; string.Join(",", collection) is not.
                    foreach (var argument in invocation.Arguments)
                    {
                        if (argument.ArgumentKind == ArgumentKind.Explicit && argument.Parameter?.Type is { } parameterType &&
                            parameterType.SpecialType != SpecialType.System_String && parameterType.SpecialType != SpecialType.System_Char &&
                            parameterType.SpecialType != SpecialType.System_Object && parameterType.TypeKind != TypeKind.TypeParameter)
                        {
                            return (true, "string." + method.Name);
                        }
                    }
                }

                return null;
            }

            /// <summary>The static form in a loop over a request-derived collection; true when it reported.</summary>
            private bool CheckLoop(OperationAnalysisContext context, IInvocationOperation invocation, WriteKind kind)
            {
                for (var parent = invocation.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IAnonymousFunctionOperation || parent is ILocalFunctionOperation || parent is IMethodBodyOperation)
                    {
                        return false;
                    }

                    if (parent is IForEachLoopOperation loop && UnboundedSource(loop.Collection) is { } source)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.BaggageSetInUnboundedLoop, invocation.Syntax.GetLocation(), DiagnosticSeverity.Info,
                            new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind),
                            source, BaggageLimits.MaxEntries, BaggageLimits.MaxTotalBytes));
                        return true;
                    }
                }

                return false;
            }

            /// <summary>
            /// Baggage that grows by one entry per iteration: <c>baggage = baggage.SetBaggage(key, ..)</c> (the result stored
            /// back into the baggage it was called on) or <c>activity.AddBaggage(key, ..)</c> / <c>activity.SetBaggage(key, ..)</c>
            /// inside a <c>foreach</c>, <c>for</c>, <c>while</c> or <c>do</c> loop, with a key built from what changes per
            /// iteration (a local declared in the loop, the iteration variable, a variable the loop assigns). Silent: a
            /// constant key or one that does not change per iteration (the same entry is overwritten), a loop over items
            /// written out in the code (<c>new[] { .. }</c>, <c>[..]</c>, a collection initializer: bounded), a loop whose body
            /// leaves it unconditionally (<c>break</c>, <c>return</c>, <c>throw</c> at the top level: one iteration), a removal.
            /// </summary>
            private void CheckAccumulation(OperationAnalysisContext context, IInvocationOperation invocation, Entry entry, WriteKind kind)
            {
                if (entry.Key is null || ConstantString(entry.Key) is not null || (entry.Value is not null && IsRemoval(entry.Value)))
                {
                    return;
                }

                DiagnosticDescriptor descriptor;
                if (kind == WriteKind.Activity)
                {
                    descriptor = Descriptors.ActivityBaggageAccumulatesInLoop;
                }
                else if (kind == WriteKind.Baggage && !invocation.TargetMethod.IsStatic && invocation.TargetMethod.Name == "SetBaggage" && StoredBackIntoReceiver(invocation))
                {
                    descriptor = Descriptors.BaggageAccumulatesInLoop;
                }
                else
                {
                    return;
                }

                for (var parent = invocation.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IAnonymousFunctionOperation || parent is ILocalFunctionOperation || parent is IMethodBodyOperation)
                    {
                        return;
                    }

                    if (parent is ILoopOperation loop && !IsBounded(loop) && !RunsOnce(loop) && IsComposedKey(entry.Key) && VariesPerIteration(entry.Key, loop))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            descriptor, invocation.Syntax.GetLocation(), DiagnosticSeverity.Info,
                            new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind)));
                        return;
                    }
                }
            }

            /// <summary>
            /// A key made up in the loop (<c>$"item.{x}"</c>, <c>"item." + i</c>, <c>string.Format</c>/<c>Concat</c>): a new
            /// name per item. A key taken as it is from the item (<c>entry.Key</c> of a parent's or a header's baggage) copies
            /// entries that already exist, bounded by their source: propagation, not accumulation.
            /// </summary>
            private static bool IsComposedKey(IOperation key)
            {
                while (key is IConversionOperation conversion)
                {
                    key = conversion.Operand;
                }

                return key switch
                {
                    IInterpolatedStringOperation => true,
                    IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } => true,
                    IInvocationOperation { TargetMethod: { Name: "Format" or "Concat" or "Join", ContainingType.SpecialType: SpecialType.System_String } } => true,
                    _ => false,
                };
            }

            /// <summary><c>b = b.SetBaggage(..)</c>: the result replaces the baggage the call was made on.</summary>
            private static bool StoredBackIntoReceiver(IInvocationOperation invocation)
            {
                var parent = invocation.Parent;
                while (parent is IConversionOperation)
                {
                    parent = parent.Parent;
                }

                return parent is ISimpleAssignmentOperation assignment && invocation.Instance is { } instance
                    && ReferencedSymbol(Unwrap(assignment.Target)) is { } target
                    && SymbolEqualityComparer.Default.Equals(target, ReferencedSymbol(Unwrap(instance)));
            }

            private static ISymbol? ReferencedSymbol(IOperation operation) => operation switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Property.IsIndexer: false } property => property.Property,
                _ => null,
            };

            /// <summary>A <c>foreach</c> over items written out in the code: an array or collection initializer, a collection expression.</summary>
            private static bool IsBounded(ILoopOperation loop)
            {
                if (loop is not IForEachLoopOperation forEach)
                {
                    return false;
                }

                var collection = Unwrap(forEach.Collection);
                return collection switch
                {
                    IArrayCreationOperation { Initializer: not null } => true,
                    IObjectCreationOperation { Initializer: IObjectOrCollectionInitializerOperation { Initializers.Length: > 0 } } => true,
                    _ => collection.Syntax is CollectionExpressionSyntax,
                };
            }

            /// <summary>The loop body leaves the loop unconditionally (<c>break</c>, <c>return</c> or <c>throw</c> as one of its statements).</summary>
            private static bool RunsOnce(ILoopOperation loop)
            {
                if (loop.Body is not IBlockOperation body)
                {
                    return false;
                }

                foreach (var statement in body.Operations)
                {
                    switch (statement)
                    {
                        case IBranchOperation { BranchKind: BranchKind.Break }:
                        case IReturnOperation:
                        case IExpressionStatementOperation { Operation: IThrowOperation }:
                        case IThrowOperation:
                            return true;
                    }
                }

                return false;
            }

            /// <summary>
            /// The key reads a variable that changes per iteration of <paramref name="loop"/>: a local declared in the loop
            /// (the iteration variable included) or a local, parameter or field the loop assigns or increments.
            /// </summary>
            private static bool VariesPerIteration(IOperation key, ILoopOperation loop)
            {
                var span = loop.Syntax.Span;
                HashSet<ISymbol>? assigned = null;
                foreach (var operation in key.DescendantsAndSelf())
                {
                    if (ReferencedSymbol(operation) is not { } symbol)
                    {
                        continue;
                    }

                    if (symbol is ILocalSymbol local && local.DeclaringSyntaxReferences.Length > 0 && span.Contains(local.DeclaringSyntaxReferences[0].Span))
                    {
                        return true;
                    }

                    assigned ??= AssignedIn(loop);
                    if (assigned.Contains(symbol))
                    {
                        return true;
                    }
                }

                return false;
            }

            private static HashSet<ISymbol> AssignedIn(ILoopOperation loop)
            {
                var assigned = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
                foreach (var operation in loop.DescendantsAndSelf())
                {
                    var target = operation switch
                    {
                        IAssignmentOperation assignment => assignment.Target,
                        IIncrementOrDecrementOperation increment => increment.Target,
                        _ => null,
                    };

                    if (target is not null && ReferencedSymbol(Unwrap(target)) is { } symbol)
                    {
                        assigned.Add(symbol);
                    }
                }

                return assigned;
            }

            private static string? UnboundedSource(IOperation collection)
            {
                collection = Unwrap(collection);
                var type = collection.Type;
                if (type is null)
                {
                    return null;
                }

                if (IsUnboundedType(type))
                {
                    return Describe(collection);
                }

                if (type is INamedTypeSymbol { IsGenericType: true } named)
                {
                    foreach (var argument in named.TypeArguments)
                    {
                        if (IsUnboundedType(argument))
                        {
                            return Describe(collection);
                        }
                    }
                }

                return null;
            }

            private static bool IsUnboundedType(ITypeSymbol type)
            {
                var name = type.Name;
                return name == "Claim" || name == "NameValueCollection" ||
                       name.IndexOf("Header", StringComparison.Ordinal) >= 0 ||
                       name.IndexOf("Query", StringComparison.Ordinal) >= 0 ||
                       name.IndexOf("Cookie", StringComparison.Ordinal) >= 0 ||
                       name.IndexOf("FormCollection", StringComparison.Ordinal) >= 0;
            }
        }
    }
}
