using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers
{
    /// <summary>
    /// CTX405: <c>Propagators.DefaultTextMapPropagator</c> cached where the caching provably runs before the SDK is set up:
    /// a static field or property initializer (or a static-constructor assignment) of the program's entry type (the type
    /// that declares <c>Main</c> or the top-level statements: its static initialization runs before <c>Main</c>), or a
    /// value stored in <c>Main</c> / the top-level statements before the SDK is set up later in the same body. A cache in
    /// any other type is first read at request or message time, after the SDK's entry points (provider builders,
    /// <c>AddOpenTelemetry</c>) ran the <c>Sdk</c> static constructor, and holds the configured propagator.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX405DefaultPropagatorCachedAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>The method that holds top-level statements.</summary>
        private const string TopLevelMain = "<Main>$";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX405DefaultPropagatorCached);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (types.Propagators is null)
                {
                    return;
                }

                start.RegisterOperationAction(
                    c =>
                    {
                        var initializer = (IFieldInitializerOperation)c.Operation;
                        if (initializer.InitializedFields.Length == 1 && initializer.InitializedFields[0] is { IsStatic: true } field
                            && IsDefaultPropagator(initializer.Value, types, out var read)
                            && IsEntryType(field.ContainingType)
                            && !SdkSetUpByAnEarlierStaticInitializer(field.ContainingType, initializer, types, c.CancellationToken))
                        {
                            Report(c, read, field);
                        }
                    },
                    OperationKind.FieldInitializer);
                start.RegisterOperationAction(
                    c =>
                    {
                        var initializer = (IPropertyInitializerOperation)c.Operation;
                        if (initializer.InitializedProperties.Length == 1 && initializer.InitializedProperties[0] is { IsStatic: true } property
                            && IsDefaultPropagator(initializer.Value, types, out var read)
                            && IsEntryType(property.ContainingType)
                            && !SdkSetUpByAnEarlierStaticInitializer(property.ContainingType, initializer, types, c.CancellationToken))
                        {
                            Report(c, read, property);
                        }
                    },
                    OperationKind.PropertyInitializer);

                // Static constructors of the entry type and the entry method itself: a cheap symbol test per body.
                start.RegisterOperationBlockStartAction(block =>
                {
                    if (block.OwningSymbol is not IMethodSymbol { IsStatic: true } method
                        || !(method.MethodKind == MethodKind.StaticConstructor || IsEntryMethod(method))
                        || !IsEntryType(method.ContainingType))
                    {
                        return;
                    }

                    block.RegisterOperationAction(c => AnalyzeEntryCode(c, method, types), OperationKind.SimpleAssignment, OperationKind.VariableDeclarator);
                });
            });
        }

        private static void AnalyzeEntryCode(OperationAnalysisContext context, IMethodSymbol method, KnownTypes types)
        {
            ISymbol? target;
            IOperation? value;
            switch (context.Operation)
            {
                case ISimpleAssignmentOperation assignment:
                    value = assignment.Value;
                    target = assignment.Target switch
                    {
                        IFieldReferenceOperation f when f.Field.IsStatic || method.MethodKind != MethodKind.StaticConstructor => f.Field,
                        IPropertyReferenceOperation p when p.Property.IsStatic || method.MethodKind != MethodKind.StaticConstructor => p.Property,
                        ILocalReferenceOperation l when method.MethodKind != MethodKind.StaticConstructor => l.Local,
                        _ => null,
                    };
                    break;
                case IVariableDeclaratorOperation declarator when method.MethodKind != MethodKind.StaticConstructor:
                    value = declarator.Initializer?.Value;
                    target = declarator.Symbol;
                    break;
                default:
                    return;
            }

            if (target is null || value is null || !IsDefaultPropagator(value, types, out var read))
            {
                return;
            }

            if (method.MethodKind == MethodKind.StaticConstructor)
            {
                // Runs after every static initializer of the type and before Main.
                if (!SdkSetUpByAnEarlierStaticInitializer(method.ContainingType, context.Operation, types, context.CancellationToken)
                    && !SdkSetUpBefore(context.Operation, types))
                {
                    Report(context, read, target);
                }

                return;
            }

            // In Main: only a cache taken before the SDK is set up later in the same body.
            if (!SdkSetUpBefore(context.Operation, types) && SdkSetUpAfter(context.Operation, types))
            {
                Report(context, read, target);
            }
        }

        private static bool IsDefaultPropagator(IOperation value, KnownTypes types, out IOperation read)
        {
            read = PropagationWiring.Unwrap(value);
            return read is IPropertyReferenceOperation { Property: { Name: "DefaultTextMapPropagator", IsStatic: true } property }
                && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Propagators);
        }

        /// <summary>The type that declares the program's entry point: a static <c>Main</c> of an entry-point shape, or top-level statements.</summary>
        internal static bool IsEntryType(INamedTypeSymbol? type)
        {
            if (type is null || type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
            {
                return false;
            }

            foreach (var member in type.GetMembers("Main"))
            {
                if (member is IMethodSymbol method && IsEntryMethod(method))
                {
                    return true;
                }
            }

            return !type.GetMembers(TopLevelMain).IsEmpty;
        }

        private static bool IsEntryMethod(IMethodSymbol method)
        {
            if (method.Name == TopLevelMain)
            {
                return true;
            }

            if (method.Name != "Main" || !method.IsStatic || method.IsGenericMethod || method.Parameters.Length > 1)
            {
                return false;
            }

            if (method.Parameters.Length == 1
                && method.Parameters[0].Type is not IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_String })
            {
                return false;
            }

            var returns = method.ReturnType;
            return returns.SpecialType is SpecialType.System_Void or SpecialType.System_Int32
                || (returns.Name == "Task" && returns.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks");
        }

        /// <summary>
        /// A static field or property initializer of <paramref name="type"/> that runs before <paramref name="current"/>
        /// (all of them for a static constructor, which runs after every initializer) and sets the SDK up. Only
        /// initializers in the same file are read (an analyzer binds one file at a time).
        /// </summary>
        private static bool SdkSetUpByAnEarlierStaticInitializer(INamedTypeSymbol type, IOperation current, KnownTypes types, System.Threading.CancellationToken cancellationToken)
        {
            var model = current.SemanticModel;
            if (model is null)
            {
                return false;
            }

            var inStaticConstructor = current is not (IFieldInitializerOperation or IPropertyInitializerOperation);
            foreach (var member in type.GetMembers())
            {
                if (!member.IsStatic || member is not (IFieldSymbol { IsConst: false, IsImplicitlyDeclared: false } or IPropertySymbol))
                {
                    continue;
                }

                foreach (var reference in member.DeclaringSyntaxReferences)
                {
                    if (reference.SyntaxTree != model.SyntaxTree || (!inStaticConstructor && reference.Span.Start >= current.Syntax.SpanStart))
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

                    foreach (var inner in operation.DescendantsAndSelf())
                    {
                        if (SetsUpSdk(inner, types))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        private static bool SdkSetUpBefore(IOperation operation, KnownTypes types) => SdkSetUp(operation, types, before: true);

        private static bool SdkSetUpAfter(IOperation operation, KnownTypes types) => SdkSetUp(operation, types, before: false);

        private static bool SdkSetUp(IOperation operation, KnownTypes types, bool before)
        {
            var root = operation;
            while (root.Parent is { } parent)
            {
                root = parent;
            }

            foreach (var candidate in root.Descendants())
            {
                var position = candidate.Syntax.SpanStart;
                if ((before ? position < operation.Syntax.SpanStart : position > operation.Syntax.Span.End) && SetsUpSdk(candidate, types))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A use of the SDK's <c>Sdk</c> type (provider builders, <c>Sdk.SetDefaultTextMapPropagator</c>), or an <c>AddOpenTelemetry</c> call.</summary>
        private static bool SetsUpSdk(IOperation operation, KnownTypes types)
        {
            ISymbol? member = operation switch
            {
                IInvocationOperation invocation => invocation.TargetMethod,
                IPropertyReferenceOperation property => property.Property,
                _ => null,
            };

            return member is not null
                && (member.Name == "AddOpenTelemetry"
                    || (types.Sdk is not null && SymbolEqualityComparer.Default.Equals(member.ContainingType, types.Sdk)));
        }

        private static void Report(OperationAnalysisContext context, IOperation read, ISymbol target)
            => context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX405DefaultPropagatorCached, read.Syntax.GetLocation(), target.Name));
    }
}
