using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX203: <c>[ThreadStatic]</c> fields and <c>ThreadLocal&lt;T&gt;</c> fields holding context types;
    /// <c>RuntimeContext.ContextSlotType = typeof(ThreadLocalRuntimeContextSlot&lt;&gt;)</c>; and setting
    /// <c>ContextSlotType</c> after Baggage, the SDK or RuntimeContext slots were touched in the same function, or (in a
    /// static constructor) by a static field or property initializer of the same type, which runs first.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX203ContextInThreadLocalStorageAnalyzer : DiagnosticAnalyzer
    {
        internal const string KindProperty = "Kind";
        internal const string ThreadStaticKind = "ThreadStatic";
        internal const string ThreadLocalKind = "ThreadLocal";
        internal const string SlotKind = "Slot";
        internal const string LateSlotKind = "LateSlot";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.CTX203ContextInThreadLocalStorage,
            Descriptors.CTX203ContextInThreadLocal,
            Descriptors.CTX203ThreadLocalContextSlot,
            Descriptors.CTX203ContextSlotTypeSetLate,
            Descriptors.CTX203ContextSlotTypeSetAfterInitializer);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                var telemetry = types.MayUseTelemetry(start.CancellationToken) && types.UsesTelemetry;

                // A team's own ambient context: a thread-local field declared ambient, or one holding the value type of
                // an ambient member (TenantContext.Current's Tenant).
                var ambient = AmbientMembers.Get(start.Compilation);
                var custom = ambient.MayHaveMembers(start.Options, start.CancellationToken);
                if (!telemetry && !custom)
                {
                    return;
                }

                start.RegisterSymbolAction(c => AnalyzeField(c, types, custom ? ambient : null), SymbolKind.Field);
                if (telemetry && types.RuntimeContext is not null)
                {
                    // 'RuntimeContext.ContextSlotType =' by name first: other bodies get no callback per assignment.
                    NameIndex.RegisterWhereNamed(start, Names.ContextSlotType, c => AnalyzeSlotType(c, types), OperationKind.SimpleAssignment);
                }
            });
        }

        private static void AnalyzeField(SymbolAnalysisContext context, KnownTypes types, AmbientMembers? ambient)
        {
            var field = (IFieldSymbol)context.Symbol;
            var isThreadStatic = field.IsStatic && HasThreadStatic(field, types);
            var isThreadLocal = !isThreadStatic && field.Type is INamedTypeSymbol { IsGenericType: true } threadLocal
                && SymbolEqualityComparer.Default.Equals(threadLocal.OriginalDefinition, types.ThreadLocal);
            if ((!isThreadStatic && !isThreadLocal) || field.Locations.Length == 0)
            {
                return;
            }

            var set = ambient is not null && field.Locations[0].SourceTree is { } tree
                ? ambient.For(tree, context.Options, context.CancellationToken)
                : null;
            var kind = isThreadStatic ? ThreadStaticKind : ThreadLocalKind;
            var stored = isThreadStatic ? field.Type : ((INamedTypeSymbol)field.Type).TypeArguments[0];
            var held = set?.Find(field) is not null ? stored : HeldContextType(stored, types, 0, set);
            if (held is null)
            {
                return;
            }

            // A collection of collections of activities (a pool of lists, lists grouped by key) is per-thread scratch
            // for batch work, such as an exporter grouping finished activities: it never holds "the current" context.
            if (set?.Find(field) is null && CollectionDepth(stored, types, 0, set) >= 2)
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                kind == ThreadStaticKind ? Descriptors.CTX203ContextInThreadLocalStorage : Descriptors.CTX203ContextInThreadLocal,
                field.Locations[0],
                ImmutableDictionary<string, string?>.Empty.Add(KindProperty, kind),
                field.Name,
                held.Name));
        }

        private static bool HasThreadStatic(IFieldSymbol field, KnownTypes types)
        {
            foreach (var attribute in field.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, types.ThreadStaticAttribute))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The context type <paramref name="type"/> is or holds (nullable, array, generic argument), if any.</summary>
        internal static ITypeSymbol? HeldContextType(ITypeSymbol type, KnownTypes types, int depth, AmbientSet? set = null)
        {
            if (depth > 3)
            {
                return null;
            }

            if (IsContextType(type, types, set))
            {
                return type;
            }

            if (type is IArrayTypeSymbol array)
            {
                return HeldContextType(array.ElementType, types, depth + 1, set);
            }

            if (type is INamedTypeSymbol { IsGenericType: true } named)
            {
                foreach (var argument in named.TypeArguments)
                {
                    if (HeldContextType(argument, types, depth + 1, set) is { } held)
                    {
                        return held;
                    }
                }
            }

            return null;
        }

        /// <summary>
        /// How many collections (arrays and enumerable generic types; not <c>Nullable</c>, tuples or key-value pairs)
        /// the nearest context type in <paramref name="type"/> sits in; -1 when it holds none.
        /// </summary>
        internal static int CollectionDepth(ITypeSymbol type, KnownTypes types, int depth, AmbientSet? set = null)
        {
            if (depth > 4)
            {
                return -1;
            }

            if (IsContextType(type, types, set))
            {
                return 0;
            }

            if (type is IArrayTypeSymbol array)
            {
                var inner = CollectionDepth(array.ElementType, types, depth + 1, set);
                return inner < 0 ? -1 : inner + 1;
            }

            if (type is not INamedTypeSymbol { IsGenericType: true } named)
            {
                return -1;
            }

            var nearest = -1;
            foreach (var argument in named.TypeArguments)
            {
                var inner = CollectionDepth(argument, types, depth + 1, set);
                if (inner >= 0 && (nearest < 0 || inner < nearest))
                {
                    nearest = inner;
                }
            }

            if (nearest < 0)
            {
                return -1;
            }

            foreach (var implemented in named.AllInterfaces)
            {
                if (implemented.SpecialType == SpecialType.System_Collections_IEnumerable)
                {
                    return nearest + 1;
                }
            }

            return nearest;
        }

        private static bool IsContextType(ITypeSymbol type, KnownTypes types, AmbientSet? set)
        {
            var original = type.OriginalDefinition;
            return (set is not null && set.IsContextType(original)) || Is(original, types.Activity) || Is(original, types.ActivityContext) || Is(original, types.Baggage)
                || Is(original, types.PropagationContext) || Is(original, types.SpanContext) || Is(original, types.TelemetrySpan);

            static bool Is(ITypeSymbol candidate, INamedTypeSymbol? known)
                => known is not null && SymbolEqualityComparer.Default.Equals(candidate, known);
        }

        private static void AnalyzeSlotType(OperationAnalysisContext context, KnownTypes types)
        {
            var assignment = (ISimpleAssignmentOperation)context.Operation;
            if (assignment.Target is not IPropertyReferenceOperation { Property: { Name: "ContextSlotType", IsStatic: true } property }
                || !SymbolEqualityComparer.Default.Equals(property.ContainingType, types.RuntimeContext))
            {
                return;
            }

            if (FlowOperations.SkipConversions(assignment.Value) is ITypeOfOperation { TypeOperand: INamedTypeSymbol slot }
                && types.ThreadLocalRuntimeContextSlot is not null
                && SymbolEqualityComparer.Default.Equals(slot.OriginalDefinition, types.ThreadLocalRuntimeContextSlot))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CTX203ThreadLocalContextSlot,
                    assignment.Syntax.GetLocation(),
                    ImmutableDictionary<string, string?>.Empty.Add(KindProperty, SlotKind)));
                return;
            }

            var function = FlowOperations.EnclosingFunction(assignment);
            if (function is null)
            {
                return;
            }

            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation.Syntax.Span.End > assignment.Syntax.SpanStart)
                {
                    continue;
                }

                if (Touch(operation, assignment, types) is { } touched)
                {
                    ReportLate(context, assignment, Descriptors.CTX203ContextSlotTypeSetLate, touched.Owner.Name + "." + touched.Member.Name);
                    return;
                }
            }

            // A static constructor runs after every static field/property initializer of its type.
            if (function is not IAnonymousFunctionOperation and not ILocalFunctionOperation
                && context.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.StaticConstructor, ContainingType: { } type }
                && StaticInitializerTouch(type, assignment, types, context.CancellationToken) is { } initializer)
            {
                ReportLate(context, assignment, Descriptors.CTX203ContextSlotTypeSetAfterInitializer, initializer.Used, initializer.Initialized);
            }
        }

        /// <summary>Baggage, the SDK or a RuntimeContext slot (other than the assignment itself) touched by <paramref name="operation"/>.</summary>
        private static (INamedTypeSymbol Owner, ISymbol Member)? Touch(IOperation operation, ISimpleAssignmentOperation assignment, KnownTypes types)
        {
            ISymbol? member = operation switch
            {
                IInvocationOperation invocation => invocation.TargetMethod,
                IPropertyReferenceOperation reference when reference != assignment.Target => reference.Property,
                _ => null,
            };

            var owner = member?.ContainingType;
            if (owner is not null
                && (SymbolEqualityComparer.Default.Equals(owner, types.Baggage)
                    || SymbolEqualityComparer.Default.Equals(owner, types.Sdk)
                    || (SymbolEqualityComparer.Default.Equals(owner, types.RuntimeContext) && member!.Name != "ContextSlotType")))
            {
                return (owner, member!);
            }

            return null;
        }

        /// <summary>
        /// What a static field or property initializer of <paramref name="type"/> touched (they all run before the static
        /// constructor's body), with the member whose initializer did; null when none did. Only initializers in the assignment's file
        /// are read (an analyzer does not bind other files); lambdas in an initializer do not run at initialization.
        /// </summary>
        private static (string Used, string Initialized)? StaticInitializerTouch(INamedTypeSymbol type, ISimpleAssignmentOperation assignment, KnownTypes types, System.Threading.CancellationToken cancellationToken)
        {
            var model = assignment.SemanticModel;
            if (model is null)
            {
                return null;
            }

            foreach (var member in type.GetMembers())
            {
                if (!member.IsStatic || member is not (IFieldSymbol { IsConst: false, IsImplicitlyDeclared: false } or IPropertySymbol))
                {
                    continue;
                }

                foreach (var reference in member.DeclaringSyntaxReferences)
                {
                    if (reference.SyntaxTree != assignment.Syntax.SyntaxTree)
                    {
                        continue;
                    }

                    var initializer = reference.GetSyntax(cancellationToken) switch
                    {
                        VariableDeclaratorSyntax declarator => declarator.Initializer,
                        PropertyDeclarationSyntax property => property.Initializer,
                        _ => null,
                    };
                    if (initializer is null || model.GetOperation(initializer, cancellationToken) is not { } operation)
                    {
                        continue;
                    }

                    foreach (var inner in FlowOperations.OwnOperations(operation))
                    {
                        if (Touch(inner, assignment, types) is { } touched)
                        {
                            return (touched.Owner.Name + "." + touched.Member.Name, member.Name);
                        }
                    }
                }
            }

            return null;
        }

        private static void ReportLate(OperationAnalysisContext context, ISimpleAssignmentOperation assignment, DiagnosticDescriptor descriptor, params object[] names)
            => context.ReportDiagnostic(Diagnostic.Create(
                descriptor,
                assignment.Syntax.GetLocation(),
                ImmutableDictionary<string, string?>.Empty.Add(KindProperty, LateSlotKind),
                names));
    }
}
