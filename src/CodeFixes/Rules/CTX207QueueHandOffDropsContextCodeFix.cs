using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX207 (needs ContextAnalyzers.Runtime): the queue carries <c>ContextEnvelope&lt;T&gt;</c> instead of <c>T</c>.
    /// Its declared type and creation become <c>X&lt;ContextEnvelope&lt;T&gt;&gt;</c>, every write wraps its item in
    /// <c>ContextEnvelope.Create(item)</c>, every consumer loop iterates envelopes and declares the old item variable from
    /// <c>envelope.Item</c>, and the consumer's unparented <c>StartActivity</c> calls continue the producer's context:
    /// <c>using var a = source.StartActivity(name, kind);</c> becomes <c>using var scope = envelope.Open(source, name, kind);</c>
    /// (baggage restored too), any other shape gets <c>envelope.Context</c> as its parent.
    /// <para>
    /// Offered only when every use can be rewritten: the queue is a private field (all uses inside its type) or a local
    /// of type <c>Channel&lt;T&gt;</c>, <c>BlockingCollection&lt;T&gt;</c> or <c>ConcurrentQueue&lt;T&gt;</c> (with the private
    /// <c>ChannelWriter&lt;T&gt;</c>/<c>ChannelReader&lt;T&gt;</c> fields or locals taken from the channel), created by a form
    /// whose element type can be rewritten, and every reference is a write, a supported consumer loop, or a member whose
    /// signature does not involve <c>T</c> (<c>Count</c>, <c>Complete()</c>, <c>WaitToReadAsync()</c>...). A queue that is
    /// passed, returned, exposed, enumerated or read in another shape is left alone.
    /// </para>
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX207QueueHandOffDropsContextCodeFix))]
    [Shared]
    public sealed partial class CTX207QueueHandOffDropsContextCodeFix : CodeFixProvider
    {
        public const string UseContextEnvelopeKey = "CTX207.UseContextEnvelope";

        private const string Title = "Carry the context with each item (ContextEnvelope<T>)";
        private const string EnvelopeName = "ContextEnvelope";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.QueueHandOffDropsContext);

        // One fix rewrites a whole queue (its producers and consumers, possibly in several files): Fix All re-plans each
        // diagnostic on the solution the previous ones produced; diagnostics of a queue already rewritten no longer apply.
        public override FixAllProvider GetFixAllProvider() => CTX207FixAll.Instance;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            // The light bulb asks on every query. First the cheap check on this document: the runtime is referenced and the
            // diagnostic's queue is a private field or a local of a supported queue type. Only for such a queue, whether
            // every use of it can be rewritten (a name scan of its type or block), so that no fix is offered that would
            // change nothing. Nothing is kept: the rewrite of every document is planned again and made when the action runs.
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                var span = diagnostic.Location.SourceSpan;
                if (Candidate(root, model, span, context.CancellationToken) is null)
                {
                    continue;
                }

                var solution = context.Document.Project.Solution;
                var documentId = context.Document.Id;
                if (await PlanAsync(solution, documentId, span, context.CancellationToken).ConfigureAwait(false) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(Title, async ct => await RewriteAsync(solution, documentId, span, ct).ConfigureAwait(false) ?? solution, UseContextEnvelopeKey),
                    diagnostic);
            }
        }

        /// <summary>
        /// The symbol that holds the queue of the diagnostic at <paramref name="span"/>, when the runtime is referenced and
        /// it is a private field or a local of a supported queue type; null otherwise. Reads this document only.
        /// </summary>
        private static (ISymbol Symbol, QueueTypes Types, INamedTypeSymbol EnvelopeType)? Candidate(SyntaxNode root, SemanticModel model, TextSpan span, CancellationToken cancellationToken)
        {
            if (model.Compilation.GetTypeByMetadataName("ContextAnalyzers.Runtime.ContextEnvelope") is null
                || model.Compilation.GetTypeByMetadataName("ContextAnalyzers.Runtime.ContextEnvelope`1") is not { } envelopeType)
            {
                return null;
            }

            var types = QueueTypes.Get(model.Compilation);
            if (types is null
                || root.FindNode(span, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
                || QueueExpression(invocation, model, cancellationToken) is not { } queueExpression
                || model.GetSymbolInfo(queueExpression, cancellationToken).Symbol is not { } symbol
                || Member.Create(symbol, types, envelopeType) is null)
            {
                return null;
            }

            return (symbol, types, envelopeType);
        }

        /// <summary>The solution with the queue behind the diagnostic at <paramref name="span"/> rewritten, or null when the fix does not apply.</summary>
        internal static async Task<Solution?> RewriteAsync(Solution solution, DocumentId documentId, TextSpan span, CancellationToken cancellationToken)
        {
            var plans = await PlanAsync(solution, documentId, span, cancellationToken).ConfigureAwait(false);
            return plans is null ? null : Apply(solution, plans);
        }

        /// <summary>The edits of every document the queue is used in, planned without changing anything; null when one use cannot be rewritten.</summary>
        private static async Task<List<(Document Document, SyntaxNode Root, DocumentPlan Plan)>?> PlanAsync(Solution solution, DocumentId documentId, TextSpan span, CancellationToken cancellationToken)
        {
            var document = solution.GetDocument(documentId);
            if (document is null)
            {
                return null;
            }

            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null || Candidate(root, model, span, cancellationToken) is not { } candidate)
            {
                return null;
            }

            var queue = Queue.Discover(candidate.Symbol, candidate.Types, candidate.EnvelopeType, model.Compilation, cancellationToken);
            if (queue is null)
            {
                return null;
            }

            // Every place a member of the queue can be used: its type (a private field) or its block (a local).
            var scopes = new List<(Document Document, SyntaxNode Root, SemanticModel Model, SyntaxNode Scope, Member Member)>();
            foreach (var member in queue.Members)
            {
                foreach (var scope in member.Scopes(cancellationToken)!)
                {
                    var scopeDocument = solution.GetDocument(scope.SyntaxTree);
                    if (scopeDocument is null)
                    {
                        return null;
                    }

                    var scopeRoot = await scope.SyntaxTree.GetRootAsync(cancellationToken).ConfigureAwait(false);
                    var scopeModel = scope.SyntaxTree == model.SyntaxTree ? model : model.Compilation.GetSemanticModel(scope.SyntaxTree);
                    scopes.Add((scopeDocument, scopeRoot, scopeModel, scope, member));
                }
            }

            // Plan every edit before changing anything: one unsupported use and nothing is offered.
            var plans = new List<(Document Document, SyntaxNode Root, DocumentPlan Plan)>();
            foreach (var group in scopes.GroupBy(s => s.Document.Id))
            {
                var first = group.First();
                var plan = new DocumentPlan(first.Model, queue, cancellationToken);
                foreach (var member in queue.Members)
                {
                    if (member.Declarator.SyntaxTree == first.Root.SyntaxTree && !plan.AddDeclaration(member))
                    {
                        return null;
                    }
                }

                foreach (var scope in group)
                {
                    if (!plan.AddReferences(scope.Scope, scope.Member))
                    {
                        return null;
                    }
                }

                plans.Add((first.Document, first.Root, plan));
            }

            return plans.Sum(p => p.Plan.References) == 0 ? null : plans;
        }

        private static Solution Apply(Solution solution, List<(Document Document, SyntaxNode Root, DocumentPlan Plan)> plans)
        {
            foreach (var (planned, plannedRoot, plan) in plans)
            {
                var editor = new SyntaxEditor(plannedRoot, solution.Services);
                plan.Apply(editor);
                var changed = editor.GetChangedRoot();
                if (changed != plannedRoot)
                {
                    solution = solution.WithDocumentSyntaxRoot(planned.Id, plan.NeedsImport ? RuntimeImport.EnsureUsing(changed, plan.SimpleName) : changed);
                }
            }

            return solution;
        }

        /// <summary>The queue expression of the producer call, or of the consumer loop around the <c>StartActivity</c> call.</summary>
        private static ExpressionSyntax? QueueExpression(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
        {
            if (invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "StartActivity" })
            {
                foreach (var ancestor in invocation.Ancestors())
                {
                    if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                    {
                        return null;
                    }

                    if (IsConsumerLoop(ancestor))
                    {
                        // The loop the analyzer reports for: only its exact shapes are rewritten.
                        return ConsumerCall(ancestor) is { } consumer ? Receiver(consumer) : null;
                    }
                }

                return null;
            }

            return model.GetOperation(invocation, cancellationToken) is IInvocationOperation ? Receiver(invocation) : null;
        }

        /// <summary>The consumer call of a loop: <c>foreach (.. in q.Reader.ReadAllAsync())</c>, <c>foreach (.. in q.GetConsumingEnumerable())</c>, <c>while (q.TryDequeue(out var x))</c>.</summary>
        internal static InvocationExpressionSyntax? ConsumerCall(SyntaxNode loop) => loop switch
        {
            ForEachStatementSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ReadAllAsync" or "GetConsumingEnumerable" } } call } => call,
            WhileStatementSyntax { Condition: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "TryDequeue" or "TryTake" or "TryRead" } } call } => call,
            _ => null,
        };

        /// <summary>A loop whose header takes items from a queue (as the analyzer sees consumer loops).</summary>
        internal static bool IsConsumerLoop(SyntaxNode node)
        {
            var header = node switch
            {
                ForEachStatementSyntax forEach => forEach.Expression,
                WhileStatementSyntax whileLoop => whileLoop.Condition,
                DoStatementSyntax doLoop => doLoop.Condition,
                _ => null,
            };

            return header is not null && header.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(
                i => i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ReadAllAsync" or "GetConsumingEnumerable" or "TryDequeue" or "TryTake" or "TryRead" or "ReadAsync" });
        }

        /// <summary><c>q.M()</c>, <c>q.Writer.M()</c>, <c>q.Reader.M()</c> → <c>q</c>.</summary>
        private static ExpressionSyntax? Receiver(InvocationExpressionSyntax invocation)
        {
            if (invocation.Expression is not MemberAccessExpressionSyntax access)
            {
                return null;
            }

            var receiver = access.Expression;
            if (receiver is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Writer" or "Reader" } channelSide)
            {
                receiver = channelSide.Expression;
            }

            return receiver is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax } ? receiver : null;
        }
    }
}
