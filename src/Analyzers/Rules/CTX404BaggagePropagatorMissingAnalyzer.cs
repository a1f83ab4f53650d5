using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX404: a propagator built without <c>BaggagePropagator</c> that is used with baggage.
    /// <para>
    /// Bookkeeping at compilation start: object creations record propagators that lack baggage and where they go
    /// (a local, field or property, or <c>Sdk.SetDefaultTextMapPropagator</c>); invocations record which of those
    /// symbols inject or extract baggage and whether the compilation writes baggage at all. The construction, the use
    /// and the baggage write are usually in different files (a static field in one class, a publisher in another, the
    /// default propagator set at startup), so the verdict needs the whole compilation: a compilation-end action is
    /// unavoidable here, and the descriptor is tagged <see cref="WellKnownDiagnosticTags.CompilationEnd"/>.
    /// It registers nothing when the compilation does not reference the propagator types.
    /// </para>
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX404BaggagePropagatorMissingAnalyzer : DiagnosticAnalyzer
    {

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.CTX404BaggagePropagatorMissing,
            Descriptors.CTX404ExtractedBaggageRead,
            Descriptors.CTX404DefaultPropagatorWithBaggageWrites);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (types.TextMapPropagator is null || types.PropagationContext is null || types.BaggagePropagator is null
                    || (types.TraceContextPropagator is null && types.CompositeTextMapPropagator is null))
                {
                    return;
                }

                var state = new State(types);
                start.RegisterOperationAction(state.OnObjectCreation, OperationKind.ObjectCreation);
                // Object creations stay compilation-wide (a type can be named through an alias or 'new()'); calls and
                // 'Baggage.Current =' are matched by name, so bodies that do not name them get no callback.
                start.RegisterOperationBlockStartAction(block =>
                {
                    var names = NameIndex.In(block.OperationBlocks, block.CancellationToken);
                    if ((names & (Names.SetBaggage | Names.RemoveBaggage | Names.ClearBaggage | Names.SetDefaultTextMapPropagator | Names.Inject | Names.Extract)) != Names.None)
                    {
                        block.RegisterOperationAction(state.OnInvocation, OperationKind.Invocation);
                    }

                    if ((names & Names.Current) != Names.None)
                    {
                        block.RegisterOperationAction(state.OnAssignment, OperationKind.SimpleAssignment);
                    }
                });
                start.RegisterCompilationEndAction(state.OnCompilationEnd);
            });
        }

        private sealed class State
        {
            private static readonly object DefaultSink = new object();

            private readonly KnownTypes types;
            private readonly ConcurrentQueue<(Location Location, object Sink)> constructions = new ConcurrentQueue<(Location, object)>();
            private readonly ConcurrentDictionary<object, DiagnosticDescriptor> usedWithBaggage = new ConcurrentDictionary<object, DiagnosticDescriptor>();
            private readonly ConcurrentDictionary<ISymbol, bool> defaultSinks = new ConcurrentDictionary<ISymbol, bool>(SymbolEqualityComparer.Default);
            private int writesBaggage;

            public State(KnownTypes types) => this.types = types;

            public void OnObjectCreation(OperationAnalysisContext context)
            {
                var creation = (IObjectCreationOperation)context.Operation;
                var type = creation.Type?.OriginalDefinition;
                if (!SymbolEqualityComparer.Default.Equals(type, types.TraceContextPropagator)
                    && !SymbolEqualityComparer.Default.Equals(type, types.CompositeTextMapPropagator))
                {
                    return;
                }

                if (!LacksBaggage(creation))
                {
                    return;
                }

                var sink = SinkOf(creation);
                if (sink is not null)
                {
                    constructions.Enqueue((creation.Syntax.GetLocation(), sink));
                }
            }

            public void OnInvocation(OperationAnalysisContext context)
            {
                var invocation = (IInvocationOperation)context.Operation;
                var method = invocation.TargetMethod;
                switch (method.Name)
                {
                    case "SetBaggage":
                    case "RemoveBaggage":
                    case "ClearBaggage":
                        if (method.IsStatic && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Baggage))
                        {
                            writesBaggage = 1;
                        }

                        return;
                    case "SetDefaultTextMapPropagator":
                        if (method.IsStatic && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Sdk)
                            && invocation.Arguments.Length == 1 && SymbolOf(PropagationWiring.Unwrap(invocation.Arguments[0].Value)) is ISymbol target)
                        {
                            defaultSinks.TryAdd(target, true);
                        }

                        return;
                    case "Inject":
                        if (PropagationWiring.IsPropagatorCall(method, "Inject", types) && InjectsBaggageValue(invocation))
                        {
                            Record(invocation.Instance, Descriptors.CTX404BaggagePropagatorMissing);
                        }

                        return;
                    case "Extract":
                        if (PropagationWiring.IsPropagatorCall(method, "Extract", types) && ExtractedBaggageIsRead(invocation))
                        {
                            Record(invocation.Instance, Descriptors.CTX404ExtractedBaggageRead);
                        }

                        return;
                }
            }

            public void OnAssignment(OperationAnalysisContext context)
            {
                var assignment = (ISimpleAssignmentOperation)context.Operation;
                if (assignment.Target is IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property }
                    && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Baggage))
                {
                    writesBaggage = 1;
                }
            }

            public void OnCompilationEnd(CompilationAnalysisContext context)
            {
                var writes = writesBaggage != 0;
                foreach (var (location, sink) in constructions)
                {
                    DiagnosticDescriptor? reason = null;
                    if (usedWithBaggage.TryGetValue(sink, out var r))
                    {
                        reason = r;
                    }
                    else if (writes && (sink == DefaultSink || (sink is ISymbol symbol && defaultSinks.ContainsKey(symbol))))
                    {
                        reason = Descriptors.CTX404DefaultPropagatorWithBaggageWrites;
                    }

                    if (reason is not null)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(reason, location));
                    }
                }
            }

            private void Record(IOperation? instance, DiagnosticDescriptor reason)
            {
                if (instance is null)
                {
                    return;
                }

                instance = PropagationWiring.Unwrap(instance);
                object? key = instance is IObjectCreationOperation ? instance.Syntax.GetLocation() : SymbolOf(instance);
                if (key is null && instance is IPropertyReferenceOperation { Property.Name: "DefaultTextMapPropagator" } p
                    && SymbolEqualityComparer.Default.Equals(p.Property.ContainingType, types.Propagators))
                {
                    key = DefaultSink;
                }

                if (key is not null)
                {
                    usedWithBaggage.TryAdd(key, reason);
                }
            }

            private ISymbol? SymbolOf(IOperation operation) => operation switch
            {
                ILocalReferenceOperation local => local.Local,
                IFieldReferenceOperation field => field.Field.OriginalDefinition,
                IPropertyReferenceOperation property when property.Property.Parameters.Length == 0
                    && !SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, types.Propagators) => property.Property.OriginalDefinition,
                _ => null,
            };

            private object? SinkOf(IObjectCreationOperation creation)
            {
                var parent = PropagationWiring.ParentSkippingConversions(creation);
                switch (parent)
                {
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        return declarator.Symbol;
                    case IFieldInitializerOperation field when field.InitializedFields.Length == 1:
                        return field.InitializedFields[0].OriginalDefinition;
                    case IPropertyInitializerOperation property when property.InitializedProperties.Length == 1:
                        return property.InitializedProperties[0].OriginalDefinition;
                    case ISimpleAssignmentOperation assignment:
                        return SymbolOf(assignment.Target);
                    case IArgumentOperation { Parent: IInvocationOperation invocation }
                        when invocation.TargetMethod.Name == "SetDefaultTextMapPropagator" && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.Sdk):
                        return DefaultSink;
                    case IInvocationOperation invocation when invocation.Instance is not null && PropagationWiring.Unwrap(invocation.Instance) == creation:
                        return creation.Syntax.GetLocation();
                    default:
                        return null;
                }
            }

            /// <summary>True only when every element is known: TraceContextPropagator or a composite of those.</summary>
            private bool LacksBaggage(IObjectCreationOperation creation)
            {
                var type = creation.Type?.OriginalDefinition;
                if (SymbolEqualityComparer.Default.Equals(type, types.TraceContextPropagator))
                {
                    return true;
                }

                if (!SymbolEqualityComparer.Default.Equals(type, types.CompositeTextMapPropagator) || creation.Arguments.Length != 1)
                {
                    return false;
                }

                var elements = Elements(PropagationWiring.Unwrap(creation.Arguments[0].Value));
                if (elements is null)
                {
                    return false;
                }

                foreach (var element in elements)
                {
                    if (PropagationWiring.Unwrap(element) is not IObjectCreationOperation inner || !LacksBaggage(inner))
                    {
                        return false;
                    }
                }

                return true;
            }

            private static IEnumerable<IOperation>? Elements(IOperation collection)
            {
                switch (collection)
                {
                    case IArrayCreationOperation { Initializer: { } initializer }:
                        return initializer.ElementValues;
                    case IObjectCreationOperation { Initializer: { } initializer } when initializer.Initializers.Length > 0:
                        var list = new List<IOperation>();
                        foreach (var item in initializer.Initializers)
                        {
                            if (item is IInvocationOperation { TargetMethod.Name: "Add", Arguments.Length: 1 } add)
                            {
                                list.Add(add.Arguments[0].Value);
                            }
                            else
                            {
                                return null;
                            }
                        }

                        return list;
                    // Collection expressions ([a, b]) have no public operation in Roslyn 4.8: unknown, so silent.
                    default:
                        return null;
                }
            }

            private bool InjectsBaggageValue(IInvocationOperation inject)
            {
                var first = PropagationWiring.Argument(inject, 0);
                if (first is null)
                {
                    return false;
                }

                return PropagationWiring.Unwrap(first.Value) is IObjectCreationOperation creation
                    && SymbolEqualityComparer.Default.Equals(creation.Type, types.PropagationContext)
                    && creation.Arguments.Length == 2
                    && !PropagationWiring.IsDefaultValue(creation.Arguments[1].Value);
            }

            private bool ExtractedBaggageIsRead(IInvocationOperation extract)
            {
                if (PropagationWiring.ParentSkippingConversions(extract) is IPropertyReferenceOperation { Property.Name: "Baggage" })
                {
                    return true;
                }

                var local = PropagationWiring.StoredInLocal(extract);
                return local is not null && PropagationWiring.ClassifyLocal(PropagationWiring.ScopeRoot(extract), local).ReadsBaggage;
            }
        }
    }
}
