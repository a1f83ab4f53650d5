using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Tests.Reliability;

/// <summary>
/// Test-only analyzer that runs next to the catalog in the robustness tests. It reports nothing; it walks what a rule
/// would walk (operation blocks, their control-flow graphs, invocation targets) and counts what it saw, so a test can
/// prove the broken variants really reached analyzers with invalid operations and error types (and the harness runs
/// even on a branch where no rule exists yet).
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
internal sealed class ProbeAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Never = new("PROBE001", "Probe", "Probe", "Probe", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

    private long operationBlocks;
    private long invalidOperations;
    private long graphs;
    private long invocations;
    private long errorTypedInvocations;

    public long OperationBlocks => Interlocked.Read(ref operationBlocks);

    public long InvalidOperations => Interlocked.Read(ref invalidOperations);

    public long Graphs => Interlocked.Read(ref graphs);

    public long Invocations => Interlocked.Read(ref invocations);

    public long ErrorTypedInvocations => Interlocked.Read(ref errorTypedInvocations);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(c =>
        {
            Interlocked.Increment(ref operationBlocks);
            foreach (var block in c.OperationBlocks)
            {
                foreach (var op in block.DescendantsAndSelf())
                {
                    if (op is IInvalidOperation)
                    {
                        Interlocked.Increment(ref invalidOperations);
                    }
                    else if (op is IInvocationOperation invocation)
                    {
                        Interlocked.Increment(ref invocations);
                        if (invocation.TargetMethod.ContainingType is null || invocation.TargetMethod.ContainingType.TypeKind == TypeKind.Error || invocation.Type?.TypeKind == TypeKind.Error)
                        {
                            Interlocked.Increment(ref errorTypedInvocations);
                        }
                    }
                }

                if (block is IMethodBodyOperation or IBlockOperation && block.Parent is null && block.SemanticModel is not null)
                {
                    var graph = block switch
                    {
                        IMethodBodyOperation body => ControlFlowGraph.Create(body, c.CancellationToken),
                        IBlockOperation b => ControlFlowGraph.Create(b, c.CancellationToken),
                        _ => null,
                    };
                    if (graph is not null)
                    {
                        Interlocked.Increment(ref graphs);
                    }
                }
            }
        });
    }
}
