using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX206: <c>Activity.Current =</c>, a Baggage mutation or a write of a team's ambient member at the tail of an async flow or a hop delegate, where the
    /// runtime throws the change away (see <see cref="TailMutation.IsLostAtTail"/>).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX206AmbientChangeLostOnReturnAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: the write may do more than change the ambient value, so the fix must not remove it.</summary>
        internal const string KeepWriteProperty = "KeepWrite";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.CTX206AmbientChangeLostOnReturn,
            Descriptors.CTX206RuntimeContextSlotChangeLost,
            Descriptors.CTX206BaggageChangeLost,
            Descriptors.CTX206AmbientMemberChangeLost);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                var telemetry = types.MayUseTelemetry(start.CancellationToken) && (types.Activity is not null || types.Baggage is not null);
                var ambient = AmbientMembers.Get(start.Compilation);
                var custom = ambient.MayHaveMembers(start.Options, start.CancellationToken);
                if (!telemetry && !custom)
                {
                    return;
                }

                // A mutation names 'Current' (Activity.Current =, Baggage.Current =), a static Baggage method, or a team's
                // ambient member: other bodies get no callback, and no operation or flow work, before any semantic question.
                var hasBaggage = telemetry && types.Baggage is not null;
                var hasRuntimeContext = telemetry && types.RuntimeContext is not null;
                start.RegisterOperationBlockStartAction(block =>
                {
                    var names = telemetry ? NameIndex.In(block.OperationBlocks, block.CancellationToken) : Names.None;
                    var set = custom ? ambient.NamedIn(block.OperationBlocks, block.Options, block.CancellationToken) : null;
                    if ((names & Names.Current) != Names.None || set is not null)
                    {
                        block.RegisterOperationAction(c => AnalyzeAssignment(c, set), OperationKind.SimpleAssignment);
                    }

                    if ((hasBaggage && (names & (Names.SetBaggage | Names.RemoveBaggage | Names.ClearBaggage)) != Names.None)
                        || (hasRuntimeContext && (names & Names.SetValue) != Names.None))
                    {
                        block.RegisterOperationAction(c => Report(c, c.Operation, null), OperationKind.Invocation);
                    }
                });
            });
        }

        private static void AnalyzeAssignment(OperationAnalysisContext context, AmbientSet? members)
        {
            var assignment = (ISimpleAssignmentOperation)context.Operation;
            if (members?.WriteOf(assignment) is { } member)
            {
                if (!AmbientSet.IsImplementation(context.ContainingSymbol, member))
                {
                    Report(context, assignment, members);
                }

                return;
            }

            if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "Current" })
            {
                return;
            }

            Report(context, assignment, null);
        }

        private static void Report(OperationAnalysisContext context, IOperation mutation, AmbientSet? members)
        {
            if (mutation is IInvocationOperation invocation
                && (invocation.TargetMethod.Name is not ("SetBaggage" or "RemoveBaggage" or "ClearBaggage" or "SetValue") || !invocation.TargetMethod.IsStatic))
            {
                return;
            }

            var kind = TailMutation.ClassifyMutation(mutation, members);
            if (kind == TailMutation.AmbientKind.None || !TailMutation.IsLostAtTail(mutation, new FlowGraphSource(context), members))
            {
                return;
            }

            var member = kind == TailMutation.AmbientKind.Custom ? members?.WriteOf(mutation) : null;
            var descriptor = kind switch
            {
                TailMutation.AmbientKind.Activity => Descriptors.CTX206AmbientChangeLostOnReturn,
                TailMutation.AmbientKind.RuntimeContextSlot => Descriptors.CTX206RuntimeContextSlotChangeLost,
                TailMutation.AmbientKind.Custom => Descriptors.CTX206AmbientMemberChangeLost,
                _ => Descriptors.CTX206BaggageChangeLost,
            };

            // Removing a write is the fix only when the write does nothing else: a field's Value, or a wrapper whose setter
            // only writes its field (a declared property of another assembly may do more).
            var properties = member is { IsPureWrite: false }
                ? ImmutableDictionary<string, string?>.Empty.Add(KeepWriteProperty, "true")
                : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(descriptor, mutation.Syntax.GetLocation(), properties, kind == TailMutation.AmbientKind.Custom ? new object[] { member?.Display ?? string.Empty } : System.Array.Empty<object>()));
        }
    }
}
