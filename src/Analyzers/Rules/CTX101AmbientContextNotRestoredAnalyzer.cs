using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX101: <c>Activity.Current = x</c>, <c>Baggage.Current = x</c>, static <c>Baggage.SetBaggage/RemoveBaggage/ClearBaggage</c>,
    /// <c>RuntimeContext.SetValue</c> and <c>Tracer.WithSpan</c> change ambient context; the previous value must be put back
    /// on every path out of the method (a <c>finally</c>, or a scope's <c>Dispose</c>).
    /// </summary>
    /// <remarks>
    /// Silent: the change is covered by a <c>try</c> whose <c>finally</c> restores the same store (the <c>try</c> follows the
    /// change, possibly under the same condition, or encloses it); the change is itself inside a <c>finally</c>, or restores
    /// a value saved from the same store; <c>Activity.Current</c> or a <c>RuntimeContext</c> slot set in an <c>async</c>
    /// method or lambda (the async builder restores the caller's ExecutionContext; Baggage is not exempt because its holder
    /// is shared); a set in a type whose <c>Dispose</c> writes the same store (a scope type); program start-up
    /// (<c>Main</c>, top-level statements), which sets process-wide context on purpose; and a change CTX206 reports
    /// (lost at the tail of an async flow or hop delegate: one statement, one diagnostic).
    /// </remarks>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX101AmbientContextNotRestoredAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            ImmutableArray.Create(
                Descriptors.CTX101AmbientContextNotRestored,
                Descriptors.CTX101NotRestoredInLambda,
                Descriptors.CTX101SlotNotRestored,
                Descriptors.CTX101SlotNotRestoredInLambda,
                Descriptors.CTX101CurrentSetToUnsampledActivity,
                Descriptors.CTX101UnsampledActivityInLambda);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                var telemetry = types.MayUseTelemetry(start.CancellationToken) && (types.Activity is not null || types.Baggage is not null || types.RuntimeContext is not null);

                // A team's own ambient members (static AsyncLocal<T> fields and their wrappers, [AmbientContext],
                // ctx_analyzers.ambient_members): resolved once per compilation, none in most.
                var ambient = AmbientMembers.Get(start.Compilation);
                var custom = ambient.MayHaveMembers(start.Options, start.CancellationToken);
                if (!telemetry && !custom)
                {
                    return;
                }

                var calls = telemetry && (types.Baggage is not null || types.RuntimeContext is not null || types.Tracer is not null);

                // Across a call: a helper that makes a message's activity current, called per message from a loop.
                if (types.Activity is not null)
                {
                    // The helpers' names are found once, here, while the other analyzers start: a loop that asked first
                    // would make the other threads wait for them.
                    CTX101HelperCalledPerMessage.CandidateNames(types, start.CancellationToken);
                    start.RegisterOperationAction(c => CTX101HelperCalledPerMessage.Analyze(c, types), OperationKind.Loop);
                }

                // Whether a change is restored is decided per type: the restore may live in another member of the type (an
                // end hook, the Dispose of a scope, a span factory's End), so every write of the type is collected first
                // and the changes are judged when the type is complete.
                start.RegisterSymbolStartAction(symbolStart =>
                {
                    var writes = new AmbientWrites((INamedTypeSymbol)symbolStart.Symbol);

                    // Assignments are to 'Current' or to a team's member; calls are SetBaggage/RemoveBaggage/ClearBaggage/
                    // SetValue/WithSpan: bodies that name none of them get no callback.
                    symbolStart.RegisterOperationBlockStartAction(block =>
                    {
                        var names = telemetry ? NameIndex.In(block.OperationBlocks, block.CancellationToken) : Names.None;
                        var set = custom ? ambient.NamedIn(block.OperationBlocks, block.Options, block.CancellationToken) : null;
                        if ((names & Names.Current) != Names.None || set is not null)
                        {
                            block.RegisterOperationAction(c => AnalyzeAssignment(c, types, writes, set), OperationKind.SimpleAssignment);
                        }

                        if (calls && (names & (Names.SetBaggage | Names.RemoveBaggage | Names.ClearBaggage | Names.SetValue | Names.WithSpan)) != Names.None)
                        {
                            block.RegisterOperationAction(c => AnalyzeInvocation(c, types, writes), OperationKind.Invocation);
                        }
                    });

                    symbolStart.RegisterSymbolEndAction(end => writes.Report(end, types));
                }, SymbolKind.NamedType);
            });
        }

        private static void AnalyzeAssignment(OperationAnalysisContext context, KnownTypes types, AmbientWrites writes, AmbientSet? members)
        {
            var assignment = (ISimpleAssignmentOperation)context.Operation;
            var mutation = AmbientMutation.Classify(assignment, types, members);
            if (mutation.Member is { } member)
            {
                // The wrapper's own accessors, the static constructor and the static methods of the declaring type are the
                // member's implementation and API (their callers own the change); a null-guarded
                // first write is a lazily created per-flow value, not a change of someone else's context; a constructor
                // makes the object it builds current for the flow that goes on to use it (a serializer context that
                // installs its deserializer), which is the caller's to scope.
                if (AmbientSet.IsImplementation(context.ContainingSymbol, member) || AmbientSet.IsDeclaringTypeApi(context.ContainingSymbol, member)
                    || AmbientMutation.IsLazyInitialization(assignment, member)
                    || context.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor })
                {
                    return;
                }
            }
            else if (assignment.Target is not IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } })
            {
                return;
            }

            if (mutation.Store != AmbientStore.None)
            {
                Collect(context, assignment, mutation, types, writes, members);
            }
        }

        private static void AnalyzeInvocation(OperationAnalysisContext context, KnownTypes types, AmbientWrites writes)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var name = invocation.TargetMethod.Name;
            if (name is not ("SetBaggage" or "RemoveBaggage" or "ClearBaggage" or "SetValue" or "WithSpan") || !invocation.TargetMethod.IsStatic)
            {
                return;
            }

            var mutation = AmbientMutation.Classify(invocation, types);
            if (mutation.Store != AmbientStore.None)
            {
                Collect(context, invocation, mutation, types, writes, null);
            }
        }

        /// <summary>
        /// Records one write of the type: what kind of value it writes (a restore or a new value) and whether, judged on its
        /// own method, it is an unrestored change. The type-level decision is <see cref="AmbientWrites.Report"/>.
        /// </summary>
        private static void Collect(OperationAnalysisContext context, IOperation operation, AmbientMutation mutation, KnownTypes types, AmbientWrites writes, AmbientSet? members)
        {
            var function = AmbientMutation.EnclosingFunction(operation, context.ContainingSymbol);
            if (function is null)
            {
                return;
            }

            var value = AmbientOwnership.ClassifyValue(operation, mutation, function, types, context.CancellationToken);
            var write = new AmbientWrite(operation, mutation, mutation.Member?.Key ?? AmbientOwnership.SlotKey(operation), value, context.ContainingSymbol, function);
            // Activity.Current and AsyncLocal slots set in async code are confined to it (the builder restores the caller's
            // ExecutionContext), and so are they in a delegate that runs as thread-pool work (Task.Run, StartNew,
            // QueueUserWorkItem, Parallel.*): it runs on a copy of the ExecutionContext that is dropped when it returns.
            // A team's AsyncLocal-backed member is confined like Activity.Current. Baggage is not: its holder is shared
            // with the caller. Writing the baggage slot itself
            // (RuntimeContext.SetValue("otel.baggage", ..)) replaces the holder in this flow only, so it is confined too.
            var confinable = mutation.Store != AmbientStore.Baggage || operation is IInvocationOperation { TargetMethod.Name: "SetValue" };
            write.IsConfined = confinable && (function.IsAsync || TailMutation.IsInHopDelegate(operation));
            write.IsCandidate = !write.IsConfined && IsUnrestoredInItsMethod(context, operation, mutation, function, value, types, members);
            writes.Add(write);
        }

        private static bool IsUnrestoredInItsMethod(OperationAnalysisContext context, IOperation operation, AmbientMutation mutation, IMethodSymbol function, AmbientValue value, KnownTypes types, AmbientSet? members)
        {
            // A write of a value saved earlier (a field, an items entry, a holder, activity.Parent) is itself a restore.
            if (value is AmbientValue.Saved or AmbientValue.SavedLocal)
            {
                return false;
            }

            // Program start-up sets process-wide context on purpose: Main, top-level statements, and the static methods of
            // the type that declares Main (the helpers Main calls to set up the process).
            if (AmbientOwnership.IsStartupCode(function, context.ContainingSymbol))
            {
                return false;
            }

            if (AmbientMutation.IsCoveredByRestoringFinally(operation, mutation, types, context.CancellationToken)
                || AmbientMutation.IsInScopeType(context.ContainingSymbol, mutation, types, context.CancellationToken))
            {
                return false;
            }

            // One statement, one diagnostic: CTX206 owns a change lost at the tail of an async flow or hop delegate.
            return !TailMutation.IsLostAtTail(operation, new FlowGraphSource(context), members);
        }
    }

    /// <summary>The ambient store a mutation writes.</summary>
    internal enum AmbientStore
    {
        None,
        Activity,
        Baggage,
        RuntimeContextSlot,

        /// <summary>A team's own ambient member (see <see cref="AmbientMembers"/>).</summary>
        Custom,
    }

    /// <summary>What CTX101 and its fix know about one ambient-context mutation.</summary>
    internal readonly struct AmbientMutation
    {
        public AmbientMutation(AmbientStore store, string display, AmbientMember? member = null)
        {
            Store = store;
            Display = display;
            Member = member;
        }

        public AmbientStore Store { get; }

        /// <summary>For <see cref="AmbientStore.Custom"/>: the member written.</summary>
        public AmbientMember? Member { get; }

        /// <summary>True when <paramref name="other"/> writes the same store (the same member's store for a team's own context).</summary>
        public bool SameStore(AmbientMutation other)
            => Store == other.Store && (Store != AmbientStore.Custom || (Member is not null && other.Member is not null && Member.Key == other.Member.Key));

        /// <summary>What the diagnostic names: <c>Activity.Current</c>, <c>Baggage.Current</c>, a member (a RuntimeContext slot has its own sentence).</summary>
        public string Display { get; }

        public static AmbientMutation Classify(IOperation? operation, KnownTypes types, AmbientSet? members = null)
        {
            var known = ClassifyKnown(operation, types);
            return known.Store == AmbientStore.None && members?.WriteOf(operation) is { } member
                ? new AmbientMutation(AmbientStore.Custom, member.Display, member)
                : known;
        }

        /// <summary>
        /// A write of <paramref name="member"/> under an <c>if</c> that tests the member for null: a per-flow value created
        /// on first use (<c>if (s_cache.Value is null) s_cache.Value = new();</c>), which is meant to stay.
        /// </summary>
        public static bool IsLazyInitialization(IOperation write, AmbientMember member)
        {
            foreach (var guard in write.Syntax.Ancestors())
            {
                if (guard is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                {
                    return false;
                }

                if (guard is IfStatementSyntax ifStatement && ifStatement.Statement.Span.Contains(write.Syntax.Span)
                    && ifStatement.Condition.DescendantNodesAndSelf().Any(n => n.IsKind(SyntaxKind.NullLiteralExpression))
                    && ifStatement.Condition.DescendantNodesAndSelf().OfType<ExpressionSyntax>().Any(member.IsAccessSyntax))
                {
                    return true;
                }
            }

            return false;
        }

        private static AmbientMutation ClassifyKnown(IOperation? operation, KnownTypes types)
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property } }:
                    if (types.Activity is not null && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Activity))
                    {
                        return new AmbientMutation(AmbientStore.Activity, "Activity.Current");
                    }

                    if (types.Baggage is not null && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Baggage))
                    {
                        return new AmbientMutation(AmbientStore.Baggage, "Baggage.Current");
                    }

                    break;
                case IInvocationOperation { TargetMethod: { IsStatic: true } method }:
                    var containing = method.ContainingType;
                    if (method.Name is "SetBaggage" or "RemoveBaggage" or "ClearBaggage")
                    {
                        if (types.Baggage is not null && SymbolEqualityComparer.Default.Equals(containing, types.Baggage))
                        {
                            return new AmbientMutation(AmbientStore.Baggage, "Baggage.Current");
                        }
                    }
                    else if (method.Name == "SetValue")
                    {
                        if (types.RuntimeContext is not null && SymbolEqualityComparer.Default.Equals(containing, types.RuntimeContext))
                        {
                            return IsBaggageSlot(operation)
                                ? new AmbientMutation(AmbientStore.Baggage, "Baggage.Current")
                                : new AmbientMutation(AmbientStore.RuntimeContextSlot, "RuntimeContext slot");
                        }
                    }
                    else if (method.Name == "WithSpan")
                    {
                        if (types.Tracer is not null && SymbolEqualityComparer.Default.Equals(containing, types.Tracer))
                        {
                            return new AmbientMutation(AmbientStore.Activity, "Activity.Current");
                        }
                    }

                    break;
            }

            return default;
        }

        private static bool IsBaggageSlot(IOperation invocation)
            => invocation is IInvocationOperation { Arguments.Length: > 0 } i
               && i.Arguments[0].Value.ConstantValue is { HasValue: true, Value: "otel.baggage" };

        /// <summary>The innermost method, local function or lambda that contains <paramref name="operation"/>.</summary>
        public static IMethodSymbol? EnclosingFunction(IOperation operation, ISymbol containingSymbol)
        {
            for (var current = operation.Parent; current is not null; current = current.Parent)
            {
                switch (current)
                {
                    case IAnonymousFunctionOperation lambda:
                        return lambda.Symbol;
                    case ILocalFunctionOperation local:
                        return local.Symbol;
                }
            }

            return containingSymbol as IMethodSymbol;
        }

        /// <summary>
        /// True when a <c>finally</c> that restores the same store covers the rest of the method after the change: the change
        /// is in the <c>try</c> block of that statement, or the statement that holds the change (the change itself or an
        /// <c>if</c> around it) is immediately followed by that <c>try</c>. A change inside a <c>finally</c> is a restore.
        /// </summary>
        public static bool IsCoveredByRestoringFinally(IOperation operation, AmbientMutation mutation, KnownTypes types, CancellationToken cancellationToken)
        {
            var model = operation.SemanticModel;
            if (model is null)
            {
                return false;
            }

            SyntaxNode node = operation.Syntax;
            for (var parent = node.Parent; parent is not null; node = parent, parent = parent.Parent)
            {
                if (parent is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax)
                {
                    return false;
                }

                if (parent is FinallyClauseSyntax)
                {
                    return true;
                }

                if (parent is TryStatementSyntax { Finally: { } enclosingFinally } tryStatement && node == tryStatement.Block
                    && FinallyRestores(enclosingFinally, operation, mutation, model, types, cancellationToken))
                {
                    return true;
                }

                if (node is StatementSyntax statement && parent is BlockSyntax block)
                {
                    var index = block.Statements.IndexOf(statement);
                    if (index >= 0 && index + 1 < block.Statements.Count
                        && block.Statements[index + 1] is TryStatementSyntax { Finally: { } followingFinally }
                        && FinallyRestores(followingFinally, operation, mutation, model, types, cancellationToken))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// The <c>finally</c> puts the same store back on every path through it: a write of the same store (the same slot
        /// for a <c>RuntimeContext</c> slot), or a call to a method of the compilation whose body writes it (a restore
        /// helper), not under a condition, unless the condition tests the store itself ("restore it if it changed").
        /// </summary>
        private static bool FinallyRestores(FinallyClauseSyntax @finally, IOperation change, AmbientMutation mutation, SemanticModel model, KnownTypes types, CancellationToken cancellationToken)
        {
            var store = mutation.Store;
            var slot = Flow.AmbientOwnership.SlotKey(change);
            foreach (var node in @finally.Block.DescendantNodes())
            {
                var restores = false;
                if (mutation.Member is { } member)
                {
                    // A team's member: any write of the same store (through the field or a wrapper), or a helper that writes it.
                    if (node is AssignmentExpressionSyntax { Left: var left } && member.IsAccessSyntax(left))
                    {
                        restores = model.GetOperation(node, cancellationToken) is ISimpleAssignmentOperation restore && member.IsAccess(restore.Target);
                    }
                    else if (node is InvocationExpressionSyntax helperCall
                        && model.GetSymbolInfo(helperCall, cancellationToken).Symbol is IMethodSymbol { DeclaringSyntaxReferences.Length: > 0 } restoreHelper)
                    {
                        restores = WritesStore(restoreHelper, mutation, cancellationToken);
                    }
                }
                else if (node is AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current" } }
                    || node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SetValue" or "WithSpan" } })
                {
                    var operation = model.GetOperation(node, cancellationToken);
                    var restored = Classify(operation, types);
                    if (restored.Store == store)
                    {
                        var restoredSlot = operation is null ? null : Flow.AmbientOwnership.SlotKey(operation);
                        restores = store != AmbientStore.RuntimeContextSlot || slot is null || restoredSlot is null || slot == restoredSlot;
                    }
                    else
                    {
                        restores = store == AmbientStore.RuntimeContextSlot && restored.Store == AmbientStore.Baggage && slot is null;
                    }
                }
                else if (node is InvocationExpressionSyntax call
                    && model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { DeclaringSyntaxReferences.Length: > 0 } helper
                    && helper.Name is not ("SetValue" or "WithSpan" or "SetBaggage" or "RemoveBaggage" or "ClearBaggage"))
                {
                    restores = WritesStore(helper, mutation, cancellationToken);
                }

                if (restores && RunsOnEveryPath(node, @finally.Block, change.Syntax, mutation.Member))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The node is not under a condition inside the block, or the condition reads the ambient store itself, or it is the
        /// condition the change itself is under (<c>if (apply) set; try { } finally { if (apply) restore; }</c>).
        /// </summary>
        private static bool RunsOnEveryPath(SyntaxNode node, BlockSyntax block, SyntaxNode change, AmbientMember? member)
        {
            for (var parent = node.Parent; parent is not null && parent != block; parent = parent.Parent)
            {
                switch (parent)
                {
                    case IfStatementSyntax ifStatement when !ReadsAmbient(ifStatement.Condition, member) && !GuardsChange(ifStatement.Condition, change):
                    case ConditionalExpressionSyntax conditional when !ReadsAmbient(conditional.Condition, member):
                    case SwitchStatementSyntax or SwitchExpressionSyntax or WhileStatementSyntax or ForStatementSyntax or ForEachStatementSyntax:
                    case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression or (int)SyntaxKind.LogicalOrExpression or (int)SyntaxKind.CoalesceExpression }:
                    case ConditionalAccessExpressionSyntax:
                        return false;
                }
            }

            return true;
        }

        private static bool GuardsChange(ExpressionSyntax condition, SyntaxNode change)
        {
            foreach (var guard in change.Ancestors().OfType<IfStatementSyntax>())
            {
                if (guard.Condition.IsEquivalentTo(condition, topLevel: false) && guard.Statement.Span.Contains(change.Span))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool ReadsAmbient(ExpressionSyntax condition, AmbientMember? member) =>
            condition.DescendantNodesAndSelf().Any(n =>
                (member is not null && n is ExpressionSyntax e && member.IsAccessSyntax(e)) ||
                n is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current", Expression: var receiver } && Flow.AmbientOwnership.LastName(receiver) is "Activity" or "Baggage"
                || n is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetValue" } });

        private static bool WritesStore(IMethodSymbol helper, AmbientMutation mutation, CancellationToken cancellationToken)
        {
            foreach (var reference in helper.DeclaringSyntaxReferences)
            {
                foreach (var node in reference.GetSyntax(cancellationToken).DescendantNodes())
                {
                    if (WritesSyntactically(node, mutation))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// True when the containing type's <c>Dispose()</c> writes the same store (a scope type). Decided on syntax, as the
        /// <c>Dispose</c> method may live in another tree: an assignment to <c>Activity.Current</c>/<c>Baggage.Current</c>
        /// or a call to <c>RuntimeContext.SetValue</c> / a static <c>Baggage</c> mutator.
        /// </summary>
        public static bool IsInScopeType(ISymbol containingSymbol, AmbientMutation mutation, KnownTypes types, CancellationToken cancellationToken)
        {
            var type = containingSymbol.ContainingType;
            if (type is null || types.IDisposable is null || !type.AllInterfaces.Contains(types.IDisposable, SymbolEqualityComparer.Default))
            {
                return false;
            }

            foreach (var member in type.GetMembers("Dispose"))
            {
                if (member is not IMethodSymbol { Parameters.Length: 0 } dispose)
                {
                    continue;
                }

                foreach (var reference in dispose.DeclaringSyntaxReferences)
                {
                    foreach (var node in reference.GetSyntax(cancellationToken).DescendantNodes())
                    {
                        if (WritesSyntactically(node, mutation))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>The node writes the mutation's store: for a team's member, an assignment to its field's <c>Value</c> or a wrapper.</summary>
        private static bool WritesSyntactically(SyntaxNode node, AmbientMutation mutation)
            => mutation.Member is { } member
                ? node is AssignmentExpressionSyntax { Left: var left } && member.IsAccessSyntax(left)
                : SyntacticStore(node) == mutation.Store;

        private static AmbientStore SyntacticStore(SyntaxNode node)
        {
            switch (node)
            {
                case AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current" } left }:
                    return Flow.AmbientOwnership.LastName(left.Expression) switch
                    {
                        "Activity" => AmbientStore.Activity,
                        "Baggage" => AmbientStore.Baggage,
                        _ => AmbientStore.None,
                    };
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access }:
                    var receiver = Flow.AmbientOwnership.LastName(access.Expression);
                    var name = access.Name.Identifier.ValueText;
                    if (receiver == "RuntimeContext" && name == "SetValue")
                    {
                        return AmbientStore.RuntimeContextSlot;
                    }

                    if (receiver == "Baggage" && name is "SetBaggage" or "RemoveBaggage" or "ClearBaggage")
                    {
                        return AmbientStore.Baggage;
                    }

                    return AmbientStore.None;
                default:
                    return AmbientStore.None;
            }
        }
    }
}
