using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX207 (Info): writing to a <c>ChannelWriter&lt;T&gt;</c>, <c>BlockingCollection&lt;T&gt;</c> or
    /// <c>ConcurrentQueue&lt;T&gt;</c> while an activity started in the function is live, when <c>T</c> carries no context;
    /// and consumer loops over such queues that start activities with no parent and no links.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX207QueueHandOffDropsContextAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>A channel has its own sentence ("this channel"); the other queues are named by their type.</summary>
        private const string ChannelKind = "channel";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX207QueueHandOffDropsContext, Descriptors.CTX207ChannelHandOffDropsContext);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.MayUseTelemetry(start.CancellationToken) || (types.Activity is null || (types.ChannelWriter is null && types.BlockingCollection is null && types.ConcurrentQueue is null)))
                {
                    return;
                }

                // Producers and consumers are matched by method name first: other bodies get no callback per call.
                NameIndex.RegisterWhereNamed(
                    start,
                    Names.TryWrite | Names.WriteAsync | Names.Add | Names.TryAdd | Names.Enqueue | Names.StartActivity,
                    c => Analyze(c, types),
                    OperationKind.Invocation);
            });
        }

        private static void Analyze(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            switch (invocation.TargetMethod.Name)
            {
                case "TryWrite":
                case "WriteAsync":
                case "Add":
                case "TryAdd":
                case "Enqueue":
                    AnalyzeProducer(context, invocation, types);
                    break;
                case "StartActivity":
                    AnalyzeConsumer(context, invocation, types);
                    break;
            }
        }

        private static void AnalyzeProducer(OperationAnalysisContext context, IInvocationOperation invocation, KnownTypes types)
        {
            var queue = QueueKind(invocation.TargetMethod.ContainingType, types);
            if (queue is null || invocation.TargetMethod.ContainingType is not { TypeArguments.Length: 1 })
            {
                return;
            }

            var item = invocation.TargetMethod.ContainingType.TypeArguments[0];
            if (CarriesContext(item, types))
            {
                return;
            }

            var live = LiveActivity.At(invocation, new FlowGraphSource(context));
            if (live is null)
            {
                return;
            }

            var location = invocation.Syntax is InvocationExpressionSyntax syntax ? syntax.Expression.GetLocation() : invocation.Syntax.GetLocation();
            context.ReportDiagnostic(HandOff(location, item.Name, queue));
        }

        /// <summary>The diagnostic for items of <paramref name="item"/> passing through <paramref name="queue"/> (a type name, or a channel).</summary>
        private static Diagnostic HandOff(Location location, string item, string? queue) => queue == ChannelKind
            ? Diagnostic.Create(Descriptors.CTX207ChannelHandOffDropsContext, location, item)
            : Diagnostic.Create(Descriptors.CTX207QueueHandOffDropsContext, location, item, queue ?? string.Empty);

        private static void AnalyzeConsumer(OperationAnalysisContext context, IInvocationOperation invocation, KnownTypes types)
        {
            if (!SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.ActivitySource))
            {
                return;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Name is "parentContext" or "parentId" or "links" && !argument.IsImplicit)
                {
                    return;
                }
            }

            var function = FlowOperations.EnclosingFunction(invocation);
            for (var parent = invocation.Parent; parent is not null && parent != function; parent = parent.Parent)
            {
                if (parent is not ILoopOperation loop)
                {
                    continue;
                }

                var item = ConsumedItemType(loop, types, out var queue);
                if (item is not null && !CarriesContext(item, types))
                {
                    var location = invocation.Syntax is InvocationExpressionSyntax syntax ? syntax.Expression.GetLocation() : invocation.Syntax.GetLocation();
                    context.ReportDiagnostic(HandOff(location, item.Name, queue));
                    return;
                }
            }
        }

        private static ITypeSymbol? ConsumedItemType(ILoopOperation loop, KnownTypes types, out string? queue)
        {
            queue = null;
            IOperation? source = loop switch
            {
                IForEachLoopOperation forEach => forEach.Collection,
                IWhileLoopOperation whileLoop => whileLoop.Condition,
                _ => null,
            };

            if (source is null)
            {
                return null;
            }

            foreach (var operation in FlowOperations.AllOperations(source))
            {
                if (operation is IInvocationOperation { TargetMethod: { Name: "ReadAllAsync" or "GetConsumingEnumerable" or "TryDequeue" or "TryRead" or "TryTake" or "ReadAsync", ContainingType.TypeArguments.Length: 1 } method })
                {
                    var containing = method.ContainingType.OriginalDefinition;
                    if (SymbolEqualityComparer.Default.Equals(containing, types.ChannelReader))
                    {
                        queue = ChannelKind;
                    }
                    else if (SymbolEqualityComparer.Default.Equals(containing, types.BlockingCollection))
                    {
                        queue = "BlockingCollection";
                    }
                    else if (SymbolEqualityComparer.Default.Equals(containing, types.ConcurrentQueue))
                    {
                        queue = "ConcurrentQueue";
                    }
                    else
                    {
                        continue;
                    }

                    return method.ContainingType.TypeArguments[0];
                }
            }

            return null;
        }

        private static string? QueueKind(INamedTypeSymbol? type, KnownTypes types)
        {
            var original = type?.OriginalDefinition;
            if (original is null)
            {
                return null;
            }

            if (SymbolEqualityComparer.Default.Equals(original, types.ChannelWriter))
            {
                return ChannelKind;
            }

            if (SymbolEqualityComparer.Default.Equals(original, types.BlockingCollection))
            {
                return "BlockingCollection";
            }

            return SymbolEqualityComparer.Default.Equals(original, types.ConcurrentQueue) ? "ConcurrentQueue" : null;
        }

        /// <summary>The item is, holds, or has a field/property (one level) of a context type or a runtime envelope.</summary>
        private static bool CarriesContext(ITypeSymbol item, KnownTypes types)
        {
            if (IsCarrier(item, types))
            {
                return true;
            }

            if (item.TypeKind == TypeKind.TypeParameter || item.TypeKind == TypeKind.Error)
            {
                // Unknown: precision before recall.
                return true;
            }

            foreach (var member in item.GetMembers())
            {
                var type = member switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol property => property.Type,
                    _ => null,
                };

                if (type is not null && IsCarrier(type, types))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsCarrier(ITypeSymbol type, KnownTypes types)
            => CTX203ContextInThreadLocalStorageAnalyzer.HeldContextType(type, types, 0) is not null
               || (types.ContextEnvelope is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, types.ContextEnvelope));
    }
}
