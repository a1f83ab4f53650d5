using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX206: <c>Activity.Current =</c> or a Baggage mutation at the tail of an async flow or a hop delegate, where the
    /// runtime throws the change away (see <see cref="TailMutation.IsLostAtTail"/>).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX206AmbientChangeLostOnReturnAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX206AmbientChangeLostOnReturn);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.MayUseTelemetry(start.CancellationToken) || (types.Activity is null && types.Baggage is null))
                {
                    return;
                }

                // A mutation names 'Current' (Activity.Current =, Baggage.Current =) or a static Baggage method: other
                // bodies get no callback, and no operation or flow work, before any semantic question.
                var hasBaggage = types.Baggage is not null;
                var hasRuntimeContext = types.RuntimeContext is not null;
                start.RegisterOperationBlockStartAction(block =>
                {
                    var names = NameIndex.In(block.OperationBlocks, block.CancellationToken);
                    if ((names & Names.Current) != Names.None)
                    {
                        block.RegisterOperationAction(AnalyzeAssignment, OperationKind.SimpleAssignment);
                    }

                    if ((hasBaggage && (names & (Names.SetBaggage | Names.RemoveBaggage | Names.ClearBaggage)) != Names.None)
                        || (hasRuntimeContext && (names & Names.SetValue) != Names.None))
                    {
                        block.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
                    }
                });
            });
        }

        private static void AnalyzeAssignment(OperationAnalysisContext context)
        {
            var assignment = (ISimpleAssignmentOperation)context.Operation;
            if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "Current" })
            {
                return;
            }

            Report(context, assignment);
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (invocation.TargetMethod.Name is not ("SetBaggage" or "RemoveBaggage" or "ClearBaggage" or "SetValue") || !invocation.TargetMethod.IsStatic)
            {
                return;
            }

            Report(context, invocation);
        }

        private static void Report(OperationAnalysisContext context, IOperation mutation)
        {
            var kind = TailMutation.ClassifyMutation(mutation);
            if (kind == TailMutation.AmbientKind.None || !TailMutation.IsLostAtTail(mutation, new FlowGraphSource(context)))
            {
                return;
            }

            var what = kind switch
            {
                TailMutation.AmbientKind.Activity => "Activity.Current",
                TailMutation.AmbientKind.RuntimeContextSlot => "a RuntimeContext slot",
                _ => "the baggage",
            };
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX206AmbientChangeLostOnReturn, mutation.Syntax.GetLocation(), what));
        }
    }
}
