using System;
using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX106: the scope <c>ILogger.BeginScope(...)</c> returns (also through the <c>LoggerExtensions.BeginScope</c>
    /// extension and loggers that implement <c>ILogger</c>) must be disposed on every path of the method that begins it,
    /// exceptions included: Microsoft.Extensions.Logging keeps scopes on an AsyncLocal stack. Paths are decided by
    /// <see cref="ActivityLifetime"/>, the analysis CTX102 uses for activities. <c>ILogger</c> is matched by metadata name:
    /// the analyzers reference no logging package. Logging scopes are ambient state with or without OpenTelemetry, so
    /// the rule runs in every compilation that references Microsoft.Extensions.Logging.Abstractions, and only in the
    /// bodies that name <c>BeginScope</c>.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX106LoggingScopeNotDisposedAnalyzer : DiagnosticAnalyzer
    {
        internal const string LoggerMetadataName = "Microsoft.Extensions.Logging.ILogger";
        private const string LoggingAssemblyName = "Microsoft.Extensions.Logging.Abstractions";

        /// <summary>Property set on the diagnostic: why it was reported (one of the <c>Reason*</c> values).</summary>
        public const string ReasonProperty = "Reason";
        public const string ReasonDiscarded = "Discarded";
        public const string ReasonPath = "Path";
        public const string ReasonException = "Exception";
        public const string ReasonOverwritten = "Overwritten";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            ImmutableArray.Create(
                Descriptors.CTX106LoggingScopeNotDisposed,
                Descriptors.CTX106LoggingScopeNotDisposedOnPath,
                Descriptors.CTX106LoggingScopeNotDisposedOnException,
                Descriptors.CTX106LoggingScopeOverwritten);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var compilation = start.Compilation;

                // The metadata-name lookup visits every referenced assembly: only when the logging abstractions are there.
                if (!string.Equals(compilation.AssemblyName, LoggingAssemblyName, StringComparison.Ordinal)
                    && !ReferencesLogging(compilation))
                {
                    return;
                }

                if (compilation.GetTypeByMetadataName(LoggerMetadataName) is not { } logger)
                {
                    return;
                }

                start.RegisterOperationBlockStartAction(block =>
                {
                    // The shared per-file name index, without the telemetry gate: a logging scope is ambient state in any service.
                    foreach (var body in block.OperationBlocks)
                    {
                        var syntax = body.Syntax;
                        if ((NameIndex.Get(syntax.SyntaxTree, block.CancellationToken).In(syntax.Span) & Names.BeginScope) != Names.None)
                        {
                            block.RegisterOperationAction(c => AnalyzeInvocation(c, logger), OperationKind.Invocation);
                            return;
                        }
                    }
                });
            });
        }

        private static bool ReferencesLogging(Compilation compilation)
        {
            foreach (var reference in compilation.ReferencedAssemblyNames)
            {
                if (string.Equals(reference.Name, LoggingAssemblyName, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol logger)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            if (method.Name != "BeginScope" || !IsLoggerScope(method, logger))
            {
                return;
            }

            IOperation value = invocation;
            ILocalSymbol? local;
            switch (FindConsumer(ref value))
            {
                case Consumer.Discarded:
                    Report(context, invocation, Descriptors.CTX106LoggingScopeNotDisposed, ReasonDiscarded);
                    return;
                case Consumer.Local:
                    local = ((ILocalReferenceOperation)((ISimpleAssignmentOperation)value.Parent!).Target).Local;
                    break;
                case Consumer.Declarator:
                    local = ((IVariableDeclaratorOperation)value.Parent!.Parent!).Symbol;
                    break;
                default:
                    return; // using, returned, stored, passed: someone else disposes it
            }

            if (local is null || local.IsRef)
            {
                return;
            }

            switch (ActivityLifetime.Analyze(invocation, local, new FlowGraphSource(context)))
            {
                case LifetimeOutcome.NotEndedOnSomePath:
                    Report(context, invocation, Descriptors.CTX106LoggingScopeNotDisposedOnPath, ReasonPath, local.Name);
                    break;
                case LifetimeOutcome.NotEndedOnException:
                    Report(context, invocation, Descriptors.CTX106LoggingScopeNotDisposedOnException, ReasonException, local.Name);
                    break;
                case LifetimeOutcome.Overwritten:
                    Report(context, invocation, Descriptors.CTX106LoggingScopeOverwritten, ReasonOverwritten, local.Name);
                    break;
            }
        }

        /// <summary><c>ILogger.BeginScope</c>, an implementation of it, or an extension <c>BeginScope(this ILogger, ...)</c>.</summary>
        private static bool IsLoggerScope(IMethodSymbol method, INamedTypeSymbol logger)
        {
            if (!IsDisposable(method.ReturnType))
            {
                return false;
            }

            if (method.IsExtensionMethod || (method.IsStatic && method.Parameters.Length > 0))
            {
                var receiver = method.ReducedFrom?.Parameters[0].Type ?? method.Parameters[0].Type;
                return IsLogger(receiver, logger);
            }

            return !method.IsStatic && IsLogger(method.ContainingType, logger);
        }

        private static bool IsDisposable(ITypeSymbol type)
        {
            if (type.SpecialType == SpecialType.System_IDisposable)
            {
                return true;
            }

            foreach (var implemented in type.AllInterfaces)
            {
                if (implemented.SpecialType == SpecialType.System_IDisposable)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsLogger(ITypeSymbol? type, INamedTypeSymbol logger)
        {
            if (type is null)
            {
                return false;
            }

            if (SymbolEqualityComparer.Default.Equals(type, logger))
            {
                return true;
            }

            foreach (var implemented in type.AllInterfaces)
            {
                if (SymbolEqualityComparer.Default.Equals(implemented, logger))
                {
                    return true;
                }
            }

            return false;
        }

        private static void Report(OperationAnalysisContext context, IInvocationOperation invocation, DiagnosticDescriptor descriptor, string reason, params object[] names)
        {
            // logger?.BeginScope(..): report the whole conditional access.
            IOperation reported = invocation;
            while (reported.Parent is IConditionalAccessOperation conditional && conditional.WhenNotNull == reported)
            {
                reported = conditional;
            }

            var properties = ImmutableDictionary<string, string?>.Empty.Add(ReasonProperty, reason);
            context.ReportDiagnostic(Diagnostic.Create(descriptor, reported.Syntax.GetLocation(), properties, names));
        }

        private enum Consumer
        {
            Transferred,
            Discarded,
            Local,
            Declarator,
        }

        /// <summary>
        /// Follows the scope up through conversions and <c>?.</c> to what consumes it. On return, <paramref name="value"/>
        /// is the operation whose parent consumes it.
        /// </summary>
        private static Consumer FindConsumer(ref IOperation value)
        {
            while (true)
            {
                var parent = value.Parent;
                switch (parent)
                {
                    case IConversionOperation:
                        value = parent;
                        continue;
                    case IConditionalAccessOperation conditional when conditional.WhenNotNull == value:
                        value = conditional;
                        continue;
                    case IConditionalAccessOperation conditional when conditional.Operation == value:
                        // logger.BeginScope(..)?.Dispose(): begun and ended at once; any other member use drops it.
                        return conditional.WhenNotNull is IInvocationOperation { TargetMethod.Name: "Dispose" } ? Consumer.Transferred : Consumer.Discarded;
                    case IInvocationOperation call when call.Instance == value:
                        return call.TargetMethod.Name == "Dispose" ? Consumer.Transferred : Consumer.Discarded;
                    case IExpressionStatementOperation:
                        return Consumer.Discarded;
                    case ISimpleAssignmentOperation assignment when assignment.Value == value:
                        return assignment.Target switch
                        {
                            IDiscardOperation => Consumer.Discarded,
                            ILocalReferenceOperation => Consumer.Local,
                            _ => Consumer.Transferred,
                        };
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        return IsUsingDeclaration(declarator) ? Consumer.Transferred : Consumer.Declarator;
                    default:
                        return Consumer.Transferred;
                }
            }
        }

        private static bool IsUsingDeclaration(IVariableDeclaratorOperation declarator)
        {
            for (IOperation? parent = declarator.Parent; parent is not null; parent = parent.Parent)
            {
                switch (parent)
                {
                    case IVariableDeclarationOperation:
                    case IVariableDeclarationGroupOperation:
                        continue;
                    case IUsingDeclarationOperation:
                    case IUsingOperation:
                        return true;
                    default:
                        return false;
                }
            }

            return false;
        }
    }
}
