using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX201: switch to the flowing API (<c>QueueUserWorkItem</c>, <c>RegisterWaitForSingleObject</c>, <c>Start</c>,
    /// <c>Register</c>) when an overload with the same parameters exists; or, when the unsafe API must stay and the
    /// runtime is referenced, wrap a <c>UnsafeQueueUserWorkItem</c> callback with <c>ContextSnapshot.Capture().Wrap(...)</c>.
    /// For work started under <c>ExecutionContext.SuppressFlow()</c> (the suppression may be deliberate: keep it), and
    /// when the runtime is referenced: capture a <c>ContextSnapshot</c> before the suppression and wrap every callback
    /// started in the region with it, so the work gets the OpenTelemetry context and nothing else. Not offered when one
    /// of the callbacks cannot be wrapped with the same overload, and never for timers: the suppression keeps a timer
    /// from rooting the request, and a snapshot would root it again (CTX205).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX201WorkQueuedWithoutExecutionContextCodeFix))]
    [Shared]
    public sealed class CTX201WorkQueuedWithoutExecutionContextCodeFix : CodeFixProvider
    {
        public const string UseFlowingApiKey = "CTX201.UseFlowingApi";
        public const string WrapWithSnapshotKey = "CTX201.WrapWithSnapshot";
        public const string CaptureSnapshotBeforeSuppressFlowKey = "CTX201.CaptureSnapshotBeforeSuppressFlow";

        private const string SnapshotName = "ContextSnapshot";
        private const string SnapshotMetadataName = RuntimeImport.Namespace + "." + SnapshotName;

        private static readonly string[] Keys = { UseFlowingApiKey, WrapWithSnapshotKey, CaptureSnapshotBeforeSuppressFlowKey };

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.WorkQueuedWithoutExecutionContext);

        // The region fix introduces a local per region (names must stay unique in a method): fix one by one.
        public override FixAllProvider GetFixAllProvider() => SequentialFixAll.Create(ApplyAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                foreach (var key in Keys)
                {
                    var plan = Plan(node, model, key, context.CancellationToken);
                    if (plan is not null)
                    {
                        context.RegisterCodeFix(
                            CodeAction.Create(plan.Title, ct => ApplyAsync(context.Document, diagnostic.Location.SourceSpan, key, ct), key),
                            diagnostic);
                    }
                }
            }
        }

        private static async Task<Document> ApplyAsync(Document document, TextSpan span, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return document;
            }

            var plan = Plan(root.FindNode(span, getInnermostNodeForTie: true), model, key, cancellationToken);
            return plan is null ? document : document.WithSyntaxRoot(plan.Apply(root));
        }

        private sealed class FixPlan
        {
            public FixPlan(string title, Func<SyntaxNode, SyntaxNode> apply)
            {
                Title = title;
                Apply = apply;
            }

            public string Title { get; }

            public Func<SyntaxNode, SyntaxNode> Apply { get; }
        }

        /// <summary>Checks every precondition of the fix <paramref name="key"/> and returns it, or null when it does not apply.</summary>
        private static FixPlan? Plan(SyntaxNode node, SemanticModel model, string key, CancellationToken cancellationToken)
        {
            if (node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { Expression: MemberAccessExpressionSyntax access } invocation
                || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method)
            {
                return null;
            }

            if (key == CaptureSnapshotBeforeSuppressFlowKey)
            {
                return method.Name == "SuppressFlow" ? PlanRegion(invocation, model, cancellationToken) : null;
            }

            if (!method.Name.StartsWith("Unsafe", StringComparison.Ordinal))
            {
                return null;
            }

            var safeName = method.Name.Substring("Unsafe".Length);
            if (key == UseFlowingApiKey)
            {
                return HasSameOverload(method, safeName) && !FlowingWorkOutlivesLiveActivity(invocation, method, model, cancellationToken)
                    ? new FixPlan("Use '" + safeName + "', which flows the execution context", root => root.ReplaceNode(access.Name, Rename(access.Name, safeName)))
                    : null;
            }

            if (key == WrapWithSnapshotKey
                && method.Name == "UnsafeQueueUserWorkItem"
                && method.Parameters.Length == 2
                && method.Parameters[0].Type.Name == "WaitCallback"
                && invocation.ArgumentList.Arguments.Count == 2
                && model.Compilation.GetTypeByMetadataName(SnapshotMetadataName) is not null)
            {
                var callback = invocation.ArgumentList.Arguments[0];
                var simple = RuntimeImport.CanUseSimpleName(model, invocation.SpanStart, SnapshotName, cancellationToken);
                return new FixPlan(
                    "Run the callback under a ContextSnapshot of the caller",
                    root => RuntimeImport.EnsureUsing(root.ReplaceNode(callback, callback.WithExpression(Wrapped(callback.Expression, WrapShape.Wrap(null), Capture(simple)))), simple));
            }

            return null;
        }

        /// <summary>
        /// Under an activity that ends in this function (and outside a <c>SuppressFlow()</c> region), queued work or a
        /// thread that flows the execution context carries that activity past its end: the flowing call is what CTX204
        /// reports, so the snapshot fix is the one offered there.
        /// </summary>
        private static bool FlowingWorkOutlivesLiveActivity(InvocationExpressionSyntax invocation, IMethodSymbol method, SemanticModel model, CancellationToken cancellationToken)
        {
            if (method.Name is not ("UnsafeQueueUserWorkItem" or "UnsafeStart")
                || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
            {
                return false;
            }

            var graphs = FlowGraphSource.Uncached(cancellationToken);
            var live = LiveActivity.At(operation, graphs);
            return live is not null && live.EndsInFunction(graphs) && FlowOperations.SuppressFlowRegion(operation) is null;
        }

        private static bool HasSameOverload(IMethodSymbol method, string safeName)
            => method.ContainingType.GetMembers(safeName).OfType<IMethodSymbol>().Any(candidate =>
                candidate.IsStatic == method.IsStatic
                && candidate.Parameters.Length == method.Parameters.Length
                && candidate.TypeParameters.Length == method.TypeParameters.Length
                && candidate.Parameters.Zip(method.OriginalDefinition.Parameters, (a, b) => a.Type.ToDisplayString() == b.Type.ToDisplayString()).All(same => same));

        private static SimpleNameSyntax Rename(SimpleNameSyntax name, string safeName)
            => name.WithIdentifier(SyntaxFactory.Identifier(name.Identifier.LeadingTrivia, safeName, name.Identifier.TrailingTrivia));

        // ------------------------------------------------------------------ wrapping a callback with a snapshot

        /// <summary>How a callback of a given delegate type runs under a snapshot with the same overload of the call.</summary>
        private sealed class WrapShape
        {
            private WrapShape(string method, TypeSyntax? typeArgument, bool invoke, bool lambda)
            {
                Method = method;
                TypeArgument = typeArgument;
                Invoke = invoke;
                Lambda = lambda;
            }

            /// <summary><c>Wrap</c>, <c>Run</c> or <c>RunAsync</c>.</summary>
            public string Method { get; }

            /// <summary>The explicit <c>TState</c> of <c>Wrap&lt;TState&gt;</c> (an implicitly typed lambda cannot infer it).</summary>
            public TypeSyntax? TypeArgument { get; }

            /// <summary><c>snapshot.Wrap(cb).Invoke</c>: the same signature as Action/WaitCallback, another delegate type.</summary>
            public bool Invoke { get; }

            /// <summary><c>() =&gt; snapshot.Run(cb)</c>: a delegate that returns a value (an async lambda's task).</summary>
            public bool Lambda { get; }

            public static WrapShape Wrap(TypeSyntax? typeArgument) => new("Wrap", typeArgument, invoke: false, lambda: false);

            public static WrapShape WrapInvoke() => new("Wrap", null, invoke: true, lambda: false);

            public static WrapShape Run(string method) => new(method, null, invoke: false, lambda: true);
        }

        /// <summary><c>ContextSnapshot.Capture()</c>.</summary>
        private static ExpressionSyntax Capture(bool simple)
            => SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    RuntimeImport.TypeExpression(SnapshotName, simple),
                    SyntaxFactory.IdentifierName("Capture")));

        /// <summary>
        /// The one rewrite both snapshot fixes share: <paramref name="callback"/> becomes <c>snapshot.Wrap(callback)</c>
        /// (or <c>.Wrap(callback).Invoke</c>, or <c>() =&gt; snapshot.Run(callback)</c>), keeping its trivia.
        /// </summary>
        private static ExpressionSyntax Wrapped(ExpressionSyntax callback, WrapShape shape, ExpressionSyntax snapshot)
        {
            SimpleNameSyntax name = shape.TypeArgument is null
                ? SyntaxFactory.IdentifierName(shape.Method)
                : SyntaxFactory.GenericName(SyntaxFactory.Identifier(shape.Method), SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(shape.TypeArgument)));
            ExpressionSyntax wrapped = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, snapshot, name),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(callback.WithoutTrivia()))));
            if (shape.Invoke)
            {
                wrapped = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, wrapped, SyntaxFactory.IdentifierName("Invoke"));
            }
            else if (shape.Lambda)
            {
                wrapped = SyntaxFactory.ParenthesizedLambdaExpression(SyntaxFactory.ParameterList(), wrapped);
            }

            return wrapped.WithTriviaFrom(callback).WithAdditionalAnnotations(Formatter.Annotation);
        }

        /// <summary>The shape for a callback converted to <paramref name="delegateType"/>, or null when none keeps the meaning.</summary>
        private static WrapShape? ShapeFor(IOperation callback, ITypeSymbol? delegateType, SemanticModel model)
        {
            if (delegateType is not INamedTypeSymbol { TypeKind: TypeKind.Delegate, DelegateInvokeMethod: { } invoke } named)
            {
                return null;
            }

            if (FlowOperations.IsType(named, "System", "Action") || FlowOperations.IsType(named, "System.Threading", "WaitCallback"))
            {
                if (named.Arity == 0)
                {
                    return WrapShape.Wrap(null);
                }

                if (named.Arity == 1)
                {
                    // Wrap<TState>(Action<TState>) cannot infer TState from an implicitly typed lambda: say it.
                    var position = callback.Syntax.SpanStart;
                    var state = named.TypeArguments[0];
                    if (!model.GetNullableContext(position).AnnotationsEnabled())
                    {
                        state = state.WithNullableAnnotation(NullableAnnotation.None); // no 'object?' where '?' warns
                    }

                    var typeArgument = SyntaxFactory.ParseTypeName(state.ToMinimalDisplayString(model, position));
                    return WrapShape.Wrap(typeArgument);
                }

                return null;
            }

            if (invoke.ReturnsVoid)
            {
                // ThreadStart, ParameterizedThreadStart and the like: the signature of Action / WaitCallback.
                return invoke.Parameters.Length == 0 || (invoke.Parameters.Length == 1 && invoke.Parameters[0].Type.SpecialType == SpecialType.System_Object && invoke.Parameters[0].RefKind == RefKind.None)
                    ? WrapShape.WrapInvoke()
                    : null;
            }

            if (invoke.Parameters.Length != 0 || invoke.ReturnsByRef || invoke.ReturnsByRefReadonly)
            {
                return null;
            }

            var returned = invoke.ReturnType;
            return WrapShape.Run(FlowOperations.IsType(returned.OriginalDefinition, "System.Threading.Tasks", "Task") ? "RunAsync" : "Run");
        }

        // ------------------------------------------------------------------ the SuppressFlow() region

        private sealed class RegionCallback
        {
            public RegionCallback(ExpressionSyntax callback, ExpressionSyntax call, WrapShape shape)
            {
                Callback = callback;
                Call = call;
                Shape = shape;
            }

            /// <summary>The callback argument's expression.</summary>
            public ExpressionSyntax Callback { get; }

            /// <summary>The invocation or creation the callback is an argument of (its overload must not change).</summary>
            public ExpressionSyntax Call { get; }

            public WrapShape Shape { get; }
        }

        private static FixPlan? PlanRegion(InvocationExpressionSyntax suppressSyntax, SemanticModel model, CancellationToken cancellationToken)
        {
            var snapshotType = model.Compilation.GetTypeByMetadataName(SnapshotMetadataName);
            if (snapshotType is null
                || model.GetOperation(suppressSyntax, cancellationToken) is not IInvocationOperation { TargetMethod: { IsStatic: true } method } suppress
                || !FlowOperations.IsType(method.ContainingType, "System.Threading", "ExecutionContext")
                || FlowOperations.EnclosingFunction(suppress) is not { } function)
            {
                return null;
            }

            var callbacks = new List<RegionCallback>();
            foreach (var work in CTX201WorkQueuedWithoutExecutionContextAnalyzer.RegionWork(suppress, function, FlowGraphSource.Uncached(cancellationToken)))
            {
                if (work.Operation is IObjectCreationOperation || work.Starter.EndsWith("Timer.Start", StringComparison.Ordinal))
                {
                    return null; // timers: the suppression keeps them from rooting the request; a snapshot would root it again
                }

                if (CTX201WorkQueuedWithoutExecutionContextAnalyzer.IsSnapshotWrapped(work.Callback))
                {
                    continue;
                }

                if (work.Callback is not { Syntax: ExpressionSyntax callback } callbackOperation
                    || callbackOperation.Parent is not IArgumentOperation { Parameter: { } parameter } argument
                    || argument.Syntax is not ArgumentSyntax { Parent: ArgumentListSyntax { Parent: ExpressionSyntax call } }
                    || callback.SpanStart < suppressSyntax.Span.End
                    || ShapeFor(callbackOperation, callbackOperation.Type ?? parameter.Type, model) is not { } shape)
                {
                    return null; // a callback we cannot wrap (or one created before the suppression): all or nothing
                }

                if (!callbacks.Any(c => c.Callback == callback))
                {
                    callbacks.Add(new RegionCallback(callback, call, shape)); // a thread started twice has one callback
                }
            }

            if (callbacks.Count == 0
                || callbacks.Any(a => callbacks.Any(b => a != b && a.Callback.Span.IntersectsWith(b.Callback.Span)))
                || InsertionPoint(suppressSyntax, function.Syntax, callbacks) is not { } insertBefore
                || !SameOverloads(callbacks, snapshotType, model, cancellationToken))
            {
                return null;
            }

            var block = (BlockSyntax)insertBefore.Parent!;
            var name = FixSyntax.FreshLocalName(model, insertBefore, insertBefore.SpanStart, "snapshot");
            var simpleName = RuntimeImport.CanUseSimpleName(model, insertBefore.SpanStart, SnapshotName, cancellationToken);
            return new FixPlan(
                "Capture a ContextSnapshot before SuppressFlow() and run the work under it",
                root =>
                {
                    var shapes = callbacks.ToDictionary(c => (SyntaxNode)c.Callback, c => c.Shape);
                    var index = block.Statements.IndexOf(insertBefore);
                    var rewritten = block.ReplaceNodes(shapes.Keys, (original, current) => Wrapped((ExpressionSyntax)current, shapes[original], FixSyntax.IdentifierName(name)));
                    var (declaration, statement) = Declaration(name, rewritten.Statements[index], simpleName);
                    rewritten = rewritten.WithStatements(rewritten.Statements.Replace(rewritten.Statements[index], statement).Insert(index, declaration));
                    return RuntimeImport.EnsureUsing(root.ReplaceNode(block, rewritten), simpleName);
                });
        }

        /// <summary>
        /// The statement the snapshot is captured before: the one holding the <c>SuppressFlow()</c> call, or the statement
        /// enclosing it (an <c>if (!IsFlowSuppressed())</c>) whose block holds every callback; never outside the function.
        /// </summary>
        private static StatementSyntax? InsertionPoint(InvocationExpressionSyntax suppress, SyntaxNode function, List<RegionCallback> callbacks)
        {
            for (var statement = suppress.FirstAncestorOrSelf<StatementSyntax>(); statement is not null; statement = statement.Parent?.FirstAncestorOrSelf<StatementSyntax>())
            {
                if (statement == function || !function.Span.Contains(statement.Span) || statement.Span.Contains(function.Span))
                {
                    return null;
                }

                if (statement.Parent is BlockSyntax block && callbacks.All(c => block.Span.Contains(c.Callback.Span)))
                {
                    return statement.GetLeadingTrivia().Any(t => t.IsDirective) ? null : statement;
                }
            }

            return null;
        }

        /// <summary>
        /// Binds the wrapped calls speculatively (with <c>ContextSnapshot.Capture()</c> in place of the local, same type):
        /// each call must keep its overload (an async lambda must not become <c>async void</c>) and each wrap must bind.
        /// </summary>
        private static bool SameOverloads(List<RegionCallback> callbacks, INamedTypeSymbol snapshotType, SemanticModel model, CancellationToken cancellationToken)
        {
            var snapshot = Capture(simple: false);
            foreach (var group in callbacks.GroupBy(c => c.Call.FirstAncestorOrSelf<StatementSyntax>()))
            {
                if (group.Key is not { } statement)
                {
                    return false;
                }

                var calls = new Dictionary<SyntaxNode, SyntaxAnnotation>();
                var wraps = new Dictionary<SyntaxNode, (SyntaxAnnotation Annotation, WrapShape Shape)>();
                foreach (var callback in group)
                {
                    calls[callback.Call] = new SyntaxAnnotation();
                    wraps[callback.Callback] = (new SyntaxAnnotation(), callback.Shape);
                }

                var speculative = statement.ReplaceNodes(
                    calls.Keys.Concat(wraps.Keys),
                    (original, current) => wraps.TryGetValue(original, out var wrap)
                        ? Wrapped((ExpressionSyntax)current, wrap.Shape, snapshot).WithAdditionalAnnotations(wrap.Annotation)
                        : current.WithAdditionalAnnotations(calls[original]));
                if (!model.TryGetSpeculativeSemanticModel(statement.SpanStart, speculative, out var speculativeModel))
                {
                    return false;
                }

                foreach (var call in calls)
                {
                    var before = model.GetSymbolInfo(call.Key, cancellationToken).Symbol;
                    var after = speculative.GetAnnotatedNodes(call.Value).Select(n => speculativeModel.GetSymbolInfo(n, cancellationToken).Symbol).FirstOrDefault();
                    if (before is null || after is null || !SymbolEqualityComparer.Default.Equals(before.OriginalDefinition, after.OriginalDefinition))
                    {
                        return false;
                    }
                }

                foreach (var wrap in wraps.Values)
                {
                    var node = speculative.GetAnnotatedNodes(wrap.Annotation).FirstOrDefault();
                    var invocation = node switch
                    {
                        ParenthesizedLambdaExpressionSyntax { ExpressionBody: InvocationExpressionSyntax body } => body,
                        MemberAccessExpressionSyntax { Expression: InvocationExpressionSyntax receiver } => receiver,
                        InvocationExpressionSyntax direct => direct,
                        _ => null,
                    };
                    if (invocation is null || speculativeModel.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol wrapMethod
                        || !SymbolEqualityComparer.Default.Equals(wrapMethod.ContainingType, snapshotType))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        /// <summary>
        /// <c>var snapshot = ContextSnapshot.Capture();</c> on its own line above <paramref name="statement"/>: it takes the
        /// blank lines above the statement, the statement keeps its comments.
        /// </summary>
        private static (StatementSyntax Declaration, StatementSyntax Statement) Declaration(string name, StatementSyntax statement, bool simple)
        {
            var leading = statement.GetLeadingTrivia();
            var blankLines = 0;
            for (var i = 0; i < leading.Count; i++)
            {
                if (leading[i].IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    blankLines = i + 1;
                }
                else if (!leading[i].IsKind(SyntaxKind.WhitespaceTrivia))
                {
                    break;
                }
            }

            // The formatter indents the declaration; it goes on a line of its own when the statement starts one (code written
            // on one line stays on one line).
            // The line ending is the document's own (the one before the statement), never a hard-coded CRLF.
            var endOfLine = statement.GetFirstToken().GetPreviousToken().TrailingTrivia.Concat(leading).FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            var startsLine = endOfLine.IsKind(SyntaxKind.EndOfLineTrivia);
            var declaration = SyntaxFactory.LocalDeclarationStatement(SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName("var"),
                    SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(FixSyntax.Identifier(name)).WithInitializer(SyntaxFactory.EqualsValueClause(Capture(simple))))))
                .WithLeadingTrivia(leading.Take(blankLines))
                .WithTrailingTrivia(startsLine ? endOfLine : SyntaxFactory.Space)
                .WithAdditionalAnnotations(Formatter.Annotation);
            return (declaration, statement.WithLeadingTrivia(leading.Skip(blankLines)));
        }
    }
}
