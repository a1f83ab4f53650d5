using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX205: <c>new System.Threading.Timer(...)</c>, or <c>System.Timers.Timer.Start()</c> / <c>Enabled = true</c>,
    /// while an activity started in the same function is live and flow is not suppressed: every tick replays the
    /// captured context and joins that activity's trace.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX205TimerCapturesContextAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CTX205TimerCapturesContext);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.MayUseTelemetry(start.CancellationToken) || (types.Activity is null || (types.ThreadingTimer is null && types.TimersTimer is null)))
                {
                    return;
                }

                start.RegisterOperationBlockStartAction(block =>
                {
                    if (!CTX204FireAndForgetOutlivesSpanAnalyzer.StartsActivity(block.OperationBlocks, block.CancellationToken)
                        && !ActivityStarts.CallsStartHelper(block.OperationBlocks, ActivityStarts.StartHelperNames(types, block.CancellationToken), block.CancellationToken))
                    {
                        return;
                    }

                    block.RegisterOperationAction(c => AnalyzeCreation(c, types), OperationKind.ObjectCreation);
                    block.RegisterOperationAction(c => AnalyzeStart(c, types), OperationKind.Invocation);
                    block.RegisterOperationAction(c => AnalyzeEnabled(c, types), OperationKind.SimpleAssignment);
                });
            });
        }

        private static void AnalyzeCreation(OperationAnalysisContext context, KnownTypes types)
        {
            var creation = (IObjectCreationOperation)context.Operation;
            if (types.ThreadingTimer is null || !SymbolEqualityComparer.Default.Equals(creation.Type, types.ThreadingTimer))
            {
                return;
            }

            var location = creation.Syntax is ObjectCreationExpressionSyntax syntax
                ? Location.Create(syntax.SyntaxTree, TextSpan.FromBounds(syntax.NewKeyword.SpanStart, syntax.Type.Span.End))
                : creation.Syntax.GetLocation();
            Report(context, creation, location);
        }

        private static void AnalyzeStart(OperationAnalysisContext context, KnownTypes types)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (invocation.TargetMethod.Name != "Start" || types.TimersTimer is null
                || !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.TimersTimer))
            {
                return;
            }

            Report(context, invocation, invocation.Syntax is InvocationExpressionSyntax syntax ? syntax.Expression.GetLocation() : invocation.Syntax.GetLocation());
        }

        private static void AnalyzeEnabled(OperationAnalysisContext context, KnownTypes types)
        {
            var assignment = (ISimpleAssignmentOperation)context.Operation;
            if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "Enabled" } property
                || types.TimersTimer is null
                || !SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, types.TimersTimer)
                || assignment.Value.ConstantValue is not { HasValue: true, Value: true })
            {
                return;
            }

            Report(context, assignment, assignment.Syntax.GetLocation());
        }

        private static void Report(OperationAnalysisContext context, IOperation operation, Location location)
        {
            var live = LiveActivity.At(operation, new FlowGraphSource(context));
            if (live is null || FlowOperations.SuppressFlowRegion(operation) is not null)
            {
                return;
            }

            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CTX205TimerCapturesContext, location, live.Name));
        }
    }
}
