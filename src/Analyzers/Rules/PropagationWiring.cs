using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>Operation helpers shared by the CTX4xx (propagation wiring) analyzers and fixes.</summary>
    internal static class PropagationWiring
    {
        /// <summary>What an activity-start call does about its parent.</summary>
        internal enum ParentState
        {
            NotAStart,
            Omitted,
            ExplicitDefault,
            Given,
        }

        /// <summary>How the local that holds an extracted context is used.</summary>
        internal struct LocalUse
        {
            public bool Escapes;
            public bool ReadsActivityContext;
            public bool ReadsBaggage;
        }

        public static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
        {
            if (baseType is null)
            {
                return false;
            }

            for (var t = type; t is not null; t = t.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>TextMapPropagator.Extract</c>/<c>Inject</c> (or an override) with its usual three parameters.</summary>
        public static bool IsPropagatorCall(IMethodSymbol? method, string name, KnownTypes types)
        {
            return method is not null
                && method.Name == name
                && !method.IsStatic
                && method.Parameters.Length == 3
                && DerivesFrom(method.ContainingType, types.TextMapPropagator)
                && SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, types.PropagationContext);
        }

        public static IOperation Unwrap(IOperation operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        /// <summary>The nearest parent that is not a conversion.</summary>
        public static IOperation? ParentSkippingConversions(IOperation operation)
        {
            var parent = operation.Parent;
            while (parent is IConversionOperation)
            {
                parent = parent.Parent;
            }

            return parent;
        }

        /// <summary><c>default</c>, <c>default(T)</c>, <c>new T()</c> of a struct, or a constructor call whose arguments are all defaults.</summary>
        public static bool IsDefaultValue(IOperation? operation)
        {
            if (operation is null)
            {
                return false;
            }

            operation = Unwrap(operation);
            switch (operation)
            {
                case IDefaultValueOperation:
                    return true;
                case ILiteralOperation literal:
                    return literal.ConstantValue.HasValue && literal.ConstantValue.Value is null;
                case IObjectCreationOperation creation when creation.Type is { IsValueType: true } && creation.Initializer is null:
                    foreach (var argument in creation.Arguments)
                    {
                        if (!IsDefaultValue(argument.Value))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return false;
            }
        }

        public static IArgumentOperation? Argument(IInvocationOperation invocation, int ordinal)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return argument;
                }
            }

            return null;
        }

        public static IArgumentOperation? Argument(IInvocationOperation invocation, string parameterName)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Name == parameterName)
                {
                    return argument;
                }
            }

            return null;
        }

        /// <summary>The body that holds <paramref name="operation"/>: the method body, or the nearest lambda or local function body.</summary>
        public static IOperation ScopeRoot(IOperation operation)
        {
            var current = operation;
            while (current.Parent is { } parent)
            {
                if (parent is IAnonymousFunctionOperation || parent is ILocalFunctionOperation)
                {
                    return current;
                }

                current = parent;
            }

            return current;
        }

        public static bool IsActivityStartName(string name)
            => name == "StartActivity" || name == "CreateActivity" || name == "StartActiveSpan" || name == "StartSpan";

        /// <summary>Whether this call starts an activity or span, and what it says about the parent.</summary>
        public static ParentState GetParentState(IInvocationOperation invocation, KnownTypes types, out IArgumentOperation? parentArgument)
        {
            parentArgument = null;
            var method = invocation.TargetMethod;
            if (!IsActivityStartName(method.Name) || method.IsStatic)
            {
                return ParentState.NotAStart;
            }

            var type = method.ContainingType?.OriginalDefinition;
            var isSource = SymbolEqualityComparer.Default.Equals(type, types.ActivitySource);
            var isTracer = !isSource && SymbolEqualityComparer.Default.Equals(type, types.Tracer);
            if (!isSource && !isTracer)
            {
                return ParentState.NotAStart;
            }

            if (isSource && (method.Name == "StartActiveSpan" || method.Name == "StartSpan"))
            {
                return ParentState.NotAStart;
            }

            if (isTracer && (method.Name == "StartActivity" || method.Name == "CreateActivity"))
            {
                return ParentState.NotAStart;
            }

            foreach (var argument in invocation.Arguments)
            {
                var name = argument.Parameter?.Name;
                if (name == "parentContext" || name == "parentId" || name == "parentSpan")
                {
                    parentArgument = argument;
                    if (argument.IsImplicit || argument.ArgumentKind == ArgumentKind.DefaultValue)
                    {
                        return ParentState.Omitted;
                    }

                    return IsDefaultValue(argument.Value) ? ParentState.ExplicitDefault : ParentState.Given;
                }
            }

            return ParentState.Omitted;
        }

        /// <summary>Classifies every reference to <paramref name="local"/> under <paramref name="root"/>.</summary>
        public static LocalUse ClassifyLocal(IOperation root, ILocalSymbol local)
        {
            var use = default(LocalUse);
            foreach (var operation in root.Descendants())
            {
                if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    continue;
                }

                switch (reference.Parent)
                {
                    case IPropertyReferenceOperation property when property.Instance == reference:
                        if (property.Property.Name == "ActivityContext")
                        {
                            use.ReadsActivityContext = true;
                        }
                        else if (property.Property.Name == "Baggage")
                        {
                            use.ReadsBaggage = true;
                        }

                        break;
                    case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                        break;
                    case IInvocationOperation call when call.Instance == reference:
                        // ctx.Equals(..), ctx.GetHashCode(), ctx.ToString(): no use of the context itself.
                        break;
                    case IBinaryOperation:
                        // ctx == default: a test, not a use.
                        break;
                    default:
                        use.Escapes = true;
                        return use;
                }
            }

            return use;
        }

        /// <summary>The local an expression's value is stored in: <c>var x = e;</c> or <c>x = e;</c>.</summary>
        public static ILocalSymbol? StoredInLocal(IOperation value)
        {
            var parent = ParentSkippingConversions(value);
            if (parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
            {
                return declarator.Symbol;
            }

            if (parent is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                && assignment.Parent is IExpressionStatementOperation)
            {
                return target.Local;
            }

            return null;
        }

        /// <summary><c>Baggage.Current</c> read (not assigned), or static <c>Baggage.GetBaggage(..)</c> without a baggage argument.</summary>
        public static bool IsAmbientBaggageRead(IOperation operation, KnownTypes types)
        {
            if (operation is IPropertyReferenceOperation property)
            {
                return property.Property.Name == "Current"
                    && property.Property.IsStatic
                    && SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, types.Baggage)
                    && !(property.Parent is ISimpleAssignmentOperation assignment && assignment.Target == property);
            }

            if (operation is IInvocationOperation invocation)
            {
                var method = invocation.TargetMethod;
                if (method.Name != "GetBaggage" || !method.IsStatic || !SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Baggage))
                {
                    return false;
                }

                var baggage = Argument(invocation, "baggage");
                return baggage is null || baggage.IsImplicit || baggage.ArgumentKind == ArgumentKind.DefaultValue || IsDefaultValue(baggage.Value);
            }

            return false;
        }

        public static bool IsInsidePropagator(ISymbol? containingSymbol, KnownTypes types)
        {
            for (var type = containingSymbol?.ContainingType; type is not null; type = type.ContainingType)
            {
                if (DerivesFrom(type, types.TextMapPropagator))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
