using System;
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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

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
    public sealed class CTX207QueueHandOffDropsContextCodeFix : CodeFixProvider
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
            // The light bulb asks on every query: only the plan (is every use of the queue rewritable?) is made here, so
            // that no fix is offered that would change nothing; the edits of every document are made when the action runs.
            foreach (var diagnostic in context.Diagnostics)
            {
                var solution = context.Document.Project.Solution;
                var plans = await PlanAsync(solution, context.Document.Id, diagnostic.Location.SourceSpan, context.CancellationToken).ConfigureAwait(false);
                if (plans is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create(Title, _ => Task.FromResult(Apply(solution, plans)), UseContextEnvelopeKey), diagnostic);
                }
            }
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
            if (root is null || model is null
                || model.Compilation.GetTypeByMetadataName("ContextAnalyzers.Runtime.ContextEnvelope") is null
                || model.Compilation.GetTypeByMetadataName("ContextAnalyzers.Runtime.ContextEnvelope`1") is not { } envelopeType)
            {
                return null;
            }

            var types = QueueTypes.Get(model.Compilation);
            if (types is null
                || root.FindNode(span, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
                || QueueExpression(invocation, model, cancellationToken) is not { } queueExpression
                || model.GetSymbolInfo(queueExpression, cancellationToken).Symbol is not { } symbol)
            {
                return null;
            }

            var queue = Queue.Discover(symbol, types, envelopeType, model.Compilation, cancellationToken);
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

        /// <summary>The queue types of the compilation (each may be missing); null without <c>ActivitySource</c>.</summary>
        internal sealed class QueueTypes
        {
            private QueueTypes(Compilation compilation)
            {
                Channel = compilation.GetTypeByMetadataName("System.Threading.Channels.Channel`1");
                ChannelFactory = compilation.GetTypeByMetadataName("System.Threading.Channels.Channel");
                ChannelWriter = compilation.GetTypeByMetadataName("System.Threading.Channels.ChannelWriter`1");
                ChannelReader = compilation.GetTypeByMetadataName("System.Threading.Channels.ChannelReader`1");
                BlockingCollection = compilation.GetTypeByMetadataName("System.Collections.Concurrent.BlockingCollection`1");
                ConcurrentQueue = compilation.GetTypeByMetadataName("System.Collections.Concurrent.ConcurrentQueue`1");
                ActivitySource = compilation.GetTypeByMetadataName("System.Diagnostics.ActivitySource");
            }

            public INamedTypeSymbol? Channel { get; }

            public INamedTypeSymbol? ChannelFactory { get; }

            public INamedTypeSymbol? ChannelWriter { get; }

            public INamedTypeSymbol? ChannelReader { get; }

            public INamedTypeSymbol? BlockingCollection { get; }

            public INamedTypeSymbol? ConcurrentQueue { get; }

            public INamedTypeSymbol? ActivitySource { get; }

            public static QueueTypes? Get(Compilation compilation)
            {
                var types = new QueueTypes(compilation);
                return types.ActivitySource is null ? null : types;
            }
        }

        internal enum QueueKind
        {
            Channel,
            Writer,
            Reader,
            BlockingCollection,
            ConcurrentQueue,
        }

        /// <summary>A private field or a local that holds the queue (a channel, or the writer or reader taken from it).</summary>
        internal sealed class Member
        {
            private Member(ISymbol symbol, QueueKind kind, ITypeSymbol element, VariableDeclaratorSyntax declarator)
            {
                Symbol = symbol;
                Kind = kind;
                Element = element;
                Declarator = declarator;
            }

            public ISymbol Symbol { get; }

            public QueueKind Kind { get; }

            public ITypeSymbol Element { get; }

            public VariableDeclaratorSyntax Declarator { get; }

            public static Member? Create(ISymbol? symbol, QueueTypes types, INamedTypeSymbol envelopeType)
            {
                var type = symbol switch
                {
                    IFieldSymbol { DeclaredAccessibility: Accessibility.Private, IsConst: false } field when field.ContainingType is { TypeKind: TypeKind.Class or TypeKind.Struct } => field.Type,
                    ILocalSymbol { IsConst: false, IsRef: false } local => local.Type,
                    _ => null,
                };

                if (symbol is null
                    || type is not INamedTypeSymbol { TypeArguments.Length: 1 } named
                    || named.TypeArguments[0] is not { } element
                    || element.TypeKind is TypeKind.Error or TypeKind.TypeParameter
                    || SymbolEqualityComparer.Default.Equals(element.OriginalDefinition, envelopeType)
                    || symbol.DeclaringSyntaxReferences.Length != 1
                    || symbol.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } } declarator)
                {
                    return null;
                }

                var original = named.OriginalDefinition;
                QueueKind? kind = SymbolEqualityComparer.Default.Equals(original, types.Channel) ? QueueKind.Channel
                    : SymbolEqualityComparer.Default.Equals(original, types.ChannelWriter) ? QueueKind.Writer
                    : SymbolEqualityComparer.Default.Equals(original, types.ChannelReader) ? QueueKind.Reader
                    : SymbolEqualityComparer.Default.Equals(original, types.BlockingCollection) ? QueueKind.BlockingCollection
                    : SymbolEqualityComparer.Default.Equals(original, types.ConcurrentQueue) ? QueueKind.ConcurrentQueue
                    : null;
                return kind is null ? null : new Member(symbol, kind.Value, element, declarator);
            }

            /// <summary>Where the member can be used: its type's declarations (a private field) or its block (a local); null when unknown.</summary>
            public IReadOnlyList<SyntaxNode>? Scopes(CancellationToken cancellationToken)
            {
                if (Symbol is IFieldSymbol field)
                {
                    return field.ContainingType.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).ToList();
                }

                return Declarator.FirstAncestorOrSelf<BlockSyntax>() is { } block ? new[] { block } : null;
            }
        }

        /// <summary>The queue: the symbols that hold it (a channel and the writer/reader fields or locals taken from it) and its element type.</summary>
        internal sealed class Queue
        {
            private readonly List<Member> members = new();

            private Queue(ITypeSymbol element, QueueTypes types)
            {
                Element = element;
                Types = types;
            }

            public ITypeSymbol Element { get; }

            public QueueTypes Types { get; }

            public IReadOnlyList<Member> Members => members;

            public Member? Find(ISymbol? symbol) => symbol is null ? null : members.FirstOrDefault(m => SymbolEqualityComparer.Default.Equals(m.Symbol, symbol));

            /// <summary>The queue held by <paramref name="start"/>, with the channel it was taken from and the writers/readers taken from that channel.</summary>
            public static Queue? Discover(ISymbol start, QueueTypes types, INamedTypeSymbol envelopeType, Compilation compilation, CancellationToken cancellationToken)
            {
                var first = Member.Create(start, types, envelopeType);
                if (first is null)
                {
                    return null;
                }

                var queue = new Queue(first.Element, types);
                queue.members.Add(first);
                for (var i = 0; i < queue.members.Count; i++)
                {
                    var member = queue.members[i];
                    var scopes = member.Scopes(cancellationToken);
                    if (scopes is null)
                    {
                        return null;
                    }

                    var related = new List<ISymbol?>();
                    var declarationModel = compilation.GetSemanticModel(member.Declarator.SyntaxTree);
                    if (member.Kind is QueueKind.Writer or QueueKind.Reader && member.Declarator.Initializer is { } initializer)
                    {
                        related.Add(ChannelOf(initializer.Value, declarationModel, cancellationToken));
                    }

                    foreach (var scope in scopes)
                    {
                        var model = compilation.GetSemanticModel(scope.SyntaxTree);
                        foreach (var reference in References(scope, member.Symbol, model, cancellationToken))
                        {
                            if (member.Kind == QueueKind.Channel && reference.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Writer" or "Reader" } side && side.Expression == reference)
                            {
                                related.Add(DerivedSymbol(side, model, cancellationToken));
                            }
                            else if (member.Kind is QueueKind.Writer or QueueKind.Reader && reference.Parent is AssignmentExpressionSyntax assignment && assignment.Left == reference)
                            {
                                related.Add(ChannelOf(assignment.Right, model, cancellationToken));
                            }
                        }
                    }

                    foreach (var symbol in related)
                    {
                        if (symbol is null || queue.Find(symbol) is not null || Member.Create(symbol, types, envelopeType) is not { } added)
                        {
                            // Not a queue member: the use that leads there is rejected when the edits are planned.
                            continue;
                        }

                        if (!SymbolEqualityComparer.IncludeNullability.Equals(added.Element, queue.Element))
                        {
                            return null;
                        }

                        queue.members.Add(added);
                    }
                }

                return queue;
            }

            /// <summary>The references to <paramref name="symbol"/> in <paramref name="scope"/> (<c>x</c> or <c>this.x</c>).</summary>
            public static IEnumerable<ExpressionSyntax> References(SyntaxNode scope, ISymbol symbol, SemanticModel model, CancellationToken cancellationToken)
            {
                foreach (var name in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
                {
                    if (name.Identifier.ValueText == symbol.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, symbol))
                    {
                        yield return name.Parent is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } self && self.Name == name ? self : name;
                    }
                }
            }

            /// <summary><c>c.Writer</c> / <c>c.Reader</c> → the symbol of <c>c</c>.</summary>
            public static ISymbol? ChannelOf(ExpressionSyntax value, SemanticModel model, CancellationToken cancellationToken)
                => value is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Writer" or "Reader" } side
                   && side.Expression is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }
                    ? model.GetSymbolInfo(side.Expression, cancellationToken).Symbol
                    : null;

            /// <summary>The field or local that <c>c.Writer</c> / <c>c.Reader</c> initializes or is assigned to.</summary>
            public static ISymbol? DerivedSymbol(MemberAccessExpressionSyntax side, SemanticModel model, CancellationToken cancellationToken) => side.Parent switch
            {
                EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } => model.GetDeclaredSymbol(declarator, cancellationToken),
                AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment when assignment.Right == side => model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol,
                _ => null,
            };
        }

        /// <summary>The edits of one document, checked before any is made.</summary>
        private sealed class DocumentPlan
        {
            private readonly SemanticModel model;
            private readonly Queue queue;
            private readonly CancellationToken cancellationToken;
            private readonly List<Action<SyntaxEditor>> inner = new();
            private readonly List<Action<SyntaxEditor>> outer = new();
            private readonly List<(SyntaxNode Scope, string Name)> chosenNames = new();
            private readonly HashSet<SyntaxNode> rewrittenStarts = new();

            public DocumentPlan(SemanticModel model, Queue queue, CancellationToken cancellationToken)
            {
                this.model = model;
                this.queue = queue;
                this.cancellationToken = cancellationToken;
                SimpleName = RuntimeImport.CanUseSimpleNameInDocument(model, EnvelopeName, cancellationToken);
            }

            /// <summary>The document can name <c>ContextEnvelope</c> simply (else <c>global::ContextAnalyzers.Runtime.ContextEnvelope</c>).</summary>
            public bool SimpleName { get; }

            public int References { get; private set; }

            /// <summary>The document names <c>ContextEnvelope</c> (needs <c>using ContextAnalyzers.Runtime;</c> when <see cref="SimpleName"/>).</summary>
            public bool NeedsImport { get; private set; }

            public void Apply(SyntaxEditor editor)
            {
                // Inner edits first (items, activity starts), then the loops that contain them (callbacks see the edited loop).
                foreach (var edit in inner)
                {
                    edit(editor);
                }

                foreach (var edit in outer)
                {
                    edit(editor);
                }
            }

            /// <summary>The declared type and the initializer.</summary>
            public bool AddDeclaration(Member member)
            {
                var declaration = (VariableDeclarationSyntax)member.Declarator.Parent!;
                if (declaration.Parent is not (FieldDeclarationSyntax or LocalDeclarationStatementSyntax))
                {
                    return false;
                }

                var initializer = member.Declarator.Initializer?.Value;
                if (member.Kind is QueueKind.Writer or QueueKind.Reader)
                {
                    // Taken from the channel (`= channel.Writer`), or assigned later.
                    if (initializer is not null && !IsDerivedFrom(initializer, member.Kind))
                    {
                        return false;
                    }

                    if (declaration.Type.IsVar)
                    {
                        return initializer is not null;
                    }
                }
                else if (declaration.Type.IsVar)
                {
                    return initializer is not null && AddCreation(initializer, requireSpelled: true);
                }
                else if (initializer is not null && !AddCreation(initializer, requireSpelled: false))
                {
                    return false;
                }

                if (SingleTypeArgument(declaration.Type) is not { } argument)
                {
                    return false;
                }

                inner.Add(editor => editor.ReplaceNode(argument, Envelope(argument)));
                return true;
            }

            public bool AddReferences(SyntaxNode scope, Member member)
            {
                foreach (var reference in Queue.References(scope, member.Symbol, model, cancellationToken))
                {
                    if (!AddReference(reference, member))
                    {
                        return false;
                    }

                    References++;
                }

                return true;
            }

            /// <summary><c>c.Writer</c> / <c>c.Reader</c> of a channel of this queue, for a writer / reader.</summary>
            private bool IsDerivedFrom(ExpressionSyntax value, QueueKind kind)
                => value is MemberAccessExpressionSyntax side
                   && side.Name.Identifier.ValueText == (kind == QueueKind.Writer ? "Writer" : "Reader")
                   && queue.Find(Queue.ChannelOf(value, model, cancellationToken)) is { Kind: QueueKind.Channel };

            private bool AddReference(ExpressionSyntax reference, Member member)
            {
                if (reference.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment && assignment.Left == reference)
                {
                    return member.Kind is QueueKind.Writer or QueueKind.Reader
                        ? IsDerivedFrom(assignment.Right, member.Kind)
                        : AddCreation(assignment.Right, requireSpelled: false);
                }

                // A channel is used through its Writer or Reader (or hands them to a writer/reader of this queue).
                var target = reference;
                var kind = member.Kind;
                if (kind == QueueKind.Channel)
                {
                    if (reference.Parent is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Writer" or "Reader" } side || side.Expression != reference)
                    {
                        return false;
                    }

                    kind = side.Name.Identifier.ValueText == "Writer" ? QueueKind.Writer : QueueKind.Reader;
                    if (queue.Find(Queue.DerivedSymbol(side, model, cancellationToken)) is { } derived)
                    {
                        return derived.Kind == kind;
                    }

                    target = side;
                }

                if (target.Parent is not MemberAccessExpressionSyntax access || access.Expression != target)
                {
                    return false;
                }

                var symbol = model.GetSymbolInfo(access, cancellationToken).Symbol;
                if (symbol is null || symbol.IsStatic || symbol is IMethodSymbol { MethodKind: MethodKind.ReducedExtension })
                {
                    return false;
                }

                if (!InvolvesElement(symbol))
                {
                    return true;
                }

                if (access.Parent is not InvocationExpressionSyntax invocation
                    || invocation.Expression != access
                    || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
                {
                    return false;
                }

                switch (symbol.Name)
                {
                    case "TryWrite" or "WriteAsync" when kind == QueueKind.Writer:
                    case "Add" or "TryAdd" when kind == QueueKind.BlockingCollection:
                    case "Enqueue" when kind == QueueKind.ConcurrentQueue:
                        return AddWrite(operation);
                    case "ReadAllAsync" when kind == QueueKind.Reader:
                    case "GetConsumingEnumerable" when kind == QueueKind.BlockingCollection:
                        return invocation.Parent is ForEachStatementSyntax loop && loop.Expression == invocation && AddForEach(loop);
                    case "TryRead" when kind == QueueKind.Reader:
                    case "TryTake" when kind == QueueKind.BlockingCollection:
                    case "TryDequeue" when kind == QueueKind.ConcurrentQueue:
                        return AddTryLoop(invocation);
                    case "ReadAsync" when kind == QueueKind.Reader:
                    case "Take" when kind == QueueKind.BlockingCollection:
                        return AddTake(invocation, mustAwait: symbol.Name == "ReadAsync");
                    default:
                        return false;
                }
            }

            /// <summary>A member of the queue (or of its reader/writer) whose signature mentions the element type.</summary>
            private static bool InvolvesElement(ISymbol member)
            {
                var original = member.OriginalDefinition;
                var parameter = original.ContainingType?.TypeParameters.FirstOrDefault();
                if (parameter is null)
                {
                    return true;
                }

                return original switch
                {
                    IMethodSymbol method => Mentions(method.ReturnType, parameter) || method.Parameters.Any(p => Mentions(p.Type, parameter)) || method.IsGenericMethod,
                    IPropertySymbol property => Mentions(property.Type, parameter) || property.Parameters.Any(p => Mentions(p.Type, parameter)),
                    _ => true,
                };
            }

            private static bool Mentions(ITypeSymbol type, ITypeParameterSymbol parameter) => type switch
            {
                ITypeParameterSymbol p => SymbolEqualityComparer.Default.Equals(p, parameter),
                IArrayTypeSymbol array => Mentions(array.ElementType, parameter),
                IPointerTypeSymbol pointer => Mentions(pointer.PointedAtType, parameter),
                INamedTypeSymbol named => named.TypeArguments.Any(a => Mentions(a, parameter)) || (named.ContainingType is { } containing && Mentions(containing, parameter)),
                _ => false,
            };

            /// <summary><c>new X&lt;T&gt;(..)</c>, <c>new(..)</c>, <c>Channel.CreateUnbounded&lt;T&gt;(..)</c>, <c>Channel.CreateBounded&lt;T&gt;(..)</c>, with no argument that involves T.</summary>
            private bool AddCreation(ExpressionSyntax value, bool requireSpelled)
            {
                switch (value)
                {
                    case ObjectCreationExpressionSyntax { Initializer: null } creation
                        when SingleTypeArgument(creation.Type) is { } argument
                             && model.GetSymbolInfo(creation, cancellationToken).Symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                             && !ConstructorInvolvesElement(constructor):
                        inner.Add(editor => editor.ReplaceNode(argument, Envelope(argument)));
                        return true;
                    case ImplicitObjectCreationExpressionSyntax { Initializer: null } implicitCreation
                        when !requireSpelled
                             && model.GetSymbolInfo(implicitCreation, cancellationToken).Symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                             && !ConstructorInvolvesElement(constructor):
                        return true;
                    case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name: GenericNameSyntax { Identifier.ValueText: "CreateUnbounded" or "CreateBounded", TypeArgumentList.Arguments.Count: 1 } generic } } factory
                        when model.GetSymbolInfo(factory, cancellationToken).Symbol is IMethodSymbol method
                             && SymbolEqualityComparer.Default.Equals(method.ContainingType, queue.Types.ChannelFactory)
                             && !method.OriginalDefinition.Parameters.Any(p => Mentions(p.Type, method.OriginalDefinition.TypeParameters[0])):
                        var factoryArgument = generic.TypeArgumentList.Arguments[0];
                        inner.Add(editor => editor.ReplaceNode(factoryArgument, Envelope(factoryArgument)));
                        return true;
                    default:
                        return false;
                }
            }

            private static bool ConstructorInvolvesElement(IMethodSymbol constructor)
            {
                var parameter = constructor.OriginalDefinition.ContainingType.TypeParameters.FirstOrDefault();
                return parameter is null || constructor.OriginalDefinition.Parameters.Any(p => Mentions(p.Type, parameter));
            }

            /// <summary><c>Write(item, ..)</c> → <c>Write(ContextEnvelope.Create(item), ..)</c>.</summary>
            private bool AddWrite(IInvocationOperation operation)
            {
                var item = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0);
                if (item is null || item.IsImplicit || item.Syntax is not ArgumentSyntax { RefKindKeyword.RawKind: 0 } argument)
                {
                    return false;
                }

                var itemType = model.GetTypeInfo(argument.Expression, cancellationToken).Type;
                TypeSyntax? explicitType = itemType is not null && SymbolEqualityComparer.IncludeNullability.Equals(itemType, queue.Element)
                    ? null
                    : ParseTypeName(queue.Element.ToMinimalDisplayString(model, argument.SpanStart)).WithAdditionalAnnotations(Simplifier.Annotation);
                inner.Add(editor => editor.ReplaceNode(argument.Expression, (current, _) => CreateEnvelope((ExpressionSyntax)current, explicitType)));
                return true;
            }

            /// <summary><c>foreach (var item in q.Reader.ReadAllAsync())</c> → <c>foreach (var envelope in ..) { var item = envelope.Item; .. }</c>.</summary>
            private bool AddForEach(ForEachStatementSyntax loop)
            {
                // `foreach (Sub x in ..)` casts each item: `Sub x = envelope.Item;` would not compile.
                if (!loop.Type.IsVar && !SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(loop.Type, cancellationToken).Type, queue.Element))
                {
                    return false;
                }

                var envelope = UniqueName("envelope", loop);
                var itemType = loop.Type;
                var itemName = loop.Identifier.WithoutTrivia();
                if (!AddStarts(loop.Statement, envelope))
                {
                    return false;
                }

                outer.Add(editor => editor.ReplaceNode(loop, (current, _) =>
                {
                    var currentLoop = (ForEachStatementSyntax)current;
                    return currentLoop
                        .WithType(itemType.IsVar ? currentLoop.Type : IdentifierName("var").WithTriviaFrom(currentLoop.Type))
                        .WithIdentifier(FixSyntax.Identifier(envelope).WithTriviaFrom(currentLoop.Identifier))
                        .WithStatement(PrependItem(currentLoop.Statement, itemType, itemName, envelope));
                }));
                return true;
            }

            /// <summary><c>while (q.TryDequeue(out var item))</c> → <c>while (q.TryDequeue(out var envelope)) { var item = envelope.Item; .. }</c>.</summary>
            private bool AddTryLoop(InvocationExpressionSyntax invocation)
            {
                if (invocation.Parent is not WhileStatementSyntax loop
                    || loop.Condition != invocation
                    || invocation.ArgumentList.Arguments.FirstOrDefault() is not { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Expression: DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } declaration })
                {
                    return false;
                }

                // The item must be used only in the loop's body.
                var itemSymbol = model.GetDeclaredSymbol(designation, cancellationToken);
                if (itemSymbol is null)
                {
                    return false;
                }

                foreach (var use in loop.Condition.DescendantNodes().OfType<IdentifierNameSyntax>())
                {
                    if (use.Identifier.ValueText == itemSymbol.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(use, cancellationToken).Symbol, itemSymbol))
                    {
                        return false;
                    }
                }

                var envelope = UniqueName("envelope", loop);
                var itemType = declaration.Type;
                var itemName = designation.Identifier.WithoutTrivia();
                if (!AddStarts(loop.Statement, envelope))
                {
                    return false;
                }

                outer.Add(editor => editor.ReplaceNode(loop, (current, _) =>
                {
                    var currentLoop = (WhileStatementSyntax)current;
                    var currentCall = (InvocationExpressionSyntax)currentLoop.Condition;
                    var currentArgument = currentCall.ArgumentList.Arguments[0];
                    var currentDeclaration = (DeclarationExpressionSyntax)currentArgument.Expression;
                    var currentDesignation = (SingleVariableDesignationSyntax)currentDeclaration.Designation;
                    var newDeclaration = currentDeclaration
                        .WithType(itemType.IsVar ? currentDeclaration.Type : IdentifierName("var").WithTriviaFrom(currentDeclaration.Type))
                        .WithDesignation(currentDesignation.WithIdentifier(FixSyntax.Identifier(envelope).WithTriviaFrom(currentDesignation.Identifier)));
                    return currentLoop
                        .WithCondition(currentCall.WithArgumentList(currentCall.ArgumentList.WithArguments(currentCall.ArgumentList.Arguments.Replace(currentArgument, currentArgument.WithExpression(newDeclaration)))))
                        .WithStatement(PrependItem(currentLoop.Statement, itemType, itemName, envelope));
                }));
                return true;
            }

            /// <summary>
            /// <c>var item = await q.Reader.ReadAsync(ct);</c> / <c>var item = q.Take();</c> →
            /// <c>var envelope = ..; var item = envelope.Item;</c>; the rest of the block continues the producer's context.
            /// </summary>
            private bool AddTake(InvocationExpressionSyntax invocation, bool mustAwait)
            {
                ExpressionSyntax value = invocation;
                var awaits = 0;
                while (true)
                {
                    if (value.Parent is AwaitExpressionSyntax awaited)
                    {
                        value = awaited;
                        awaits++;
                    }
                    else if (value.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait", Parent: InvocationExpressionSyntax configured } configure
                        && configure.Expression == value
                        && configured.Expression == configure)
                    {
                        value = configured;
                    }
                    else
                    {
                        break;
                    }
                }

                if (value.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax or SwitchSectionSyntax } statement } declaration } declarator }
                    || !statement.UsingKeyword.IsKind(SyntaxKind.None)
                    || statement.Modifiers.Count > 0
                    || awaits != (mustAwait ? 1 : 0))
                {
                    return false;
                }

                var following = statement.Parent switch
                {
                    BlockSyntax block => block.Statements,
                    SwitchSectionSyntax section => section.Statements,
                    _ => default,
                };

                var envelope = UniqueName("envelope", statement.Parent!);
                foreach (var next in following.Skip(following.IndexOf(statement) + 1))
                {
                    if (!AddStarts(next, envelope))
                    {
                        return false;
                    }
                }

                var itemType = declaration.Type;
                var itemName = declarator.Identifier.WithoutTrivia();
                var item = ItemDeclaration(itemType, itemName, envelope)
                    .WithTrailingTrivia(statement.GetTrailingTrivia().Where(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).Take(1).DefaultIfEmpty(ElasticCarriageReturnLineFeed));
                inner.Add(editor =>
                {
                    editor.InsertAfter(statement, item);
                    editor.ReplaceNode(statement, (current, _) =>
                    {
                        var currentStatement = (LocalDeclarationStatementSyntax)current;
                        var currentDeclaration = currentStatement.Declaration;
                        var currentDeclarator = currentDeclaration.Variables[0];
                        return currentStatement.WithDeclaration(currentDeclaration
                            .WithType(itemType.IsVar ? currentDeclaration.Type : IdentifierName("var").WithTriviaFrom(currentDeclaration.Type))
                            .WithVariables(SingletonSeparatedList(currentDeclarator.WithIdentifier(FixSyntax.Identifier(envelope).WithTriviaFrom(currentDeclarator.Identifier)))));
                    });
                });
                return true;
            }

            /// <summary>The unparented <c>StartActivity</c> calls of the consumer body continue the producer's context.</summary>
            private bool AddStarts(StatementSyntax body, string envelope)
            {
                foreach (var invocation in body.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax) && (n == body || !IsConsumerLoop(n))).OfType<InvocationExpressionSyntax>())
                {
                    if (rewrittenStarts.Contains(invocation)
                        || invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "StartActivity" } access
                        || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation { TargetMethod.Name: "StartActivity" } operation
                        || !SymbolEqualityComparer.Default.Equals(operation.TargetMethod.ContainingType, queue.Types.ActivitySource)
                        || operation.Arguments.Any(a => !a.IsImplicit && a.Parameter?.Name is "parentContext" or "parentId" or "links"))
                    {
                        continue;
                    }

                    var name = NameArgument(operation);
                    if (name is null)
                    {
                        return false;
                    }

                    rewrittenStarts.Add(invocation);
                    var kind = Explicit(operation, "kind");
                    var onlyNameAndKind = operation.Arguments.All(a => a.IsImplicit || a.Parameter?.Name is "name" or "kind");
                    if (onlyNameAndKind
                        && invocation.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: 0, Parent: BlockSyntax or SwitchSectionSyntax } statement } declaration } declarator }
                        && statement.UsingKeyword.IsKind(SyntaxKind.UsingKeyword))
                    {
                        AddOpenScope(statement, declaration, declarator, access.Expression, name, kind, envelope);
                    }
                    else
                    {
                        AddParent(invocation, operation, name, kind, envelope);
                    }
                }

                return true;
            }

            /// <summary><c>using var a = s.StartActivity(n, k);</c> → <c>using var scope = envelope.Open(s, n, k);</c> (+ <c>var a = scope.Activity;</c> when <c>a</c> is used).</summary>
            private void AddOpenScope(LocalDeclarationStatementSyntax statement, VariableDeclarationSyntax declaration, VariableDeclaratorSyntax declarator, ExpressionSyntax source, ExpressionSyntax name, ExpressionSyntax? kind, string envelope)
            {
                var local = model.GetDeclaredSymbol(declarator, cancellationToken);
                var used = local is not null && statement.Parent!.DescendantNodes().OfType<IdentifierNameSyntax>()
                    .Any(n => n.Identifier.ValueText == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, local));
                var scopeName = UniqueName("scope", statement.Parent!);
                var open = InvocationExpression(
                    MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FixSyntax.IdentifierName(envelope), IdentifierName("Open")),
                    ArgumentList(SeparatedList(new[]
                    {
                        Argument(source.WithoutTrivia()),
                        Argument(name),
                        Argument(kind ?? InternalKind()),
                    })));
                var usingStatement = statement
                    .WithDeclaration(declaration.WithVariables(SingletonSeparatedList(
                        declarator.WithIdentifier(FixSyntax.Identifier(scopeName).WithTriviaFrom(declarator.Identifier))
                            .WithInitializer(declarator.Initializer!.WithValue(open.WithTriviaFrom(declarator.Initializer.Value))))))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                if (!used)
                {
                    inner.Add(editor => editor.ReplaceNode(statement, usingStatement));
                    return;
                }

                // The activity variable stays, now read from the scope (which owns the activity).
                var activity = LocalDeclarationStatement(VariableDeclaration(
                        declaration.Type.WithoutTrivia(),
                        SingletonSeparatedList(VariableDeclarator(declarator.Identifier.WithoutTrivia())
                            .WithInitializer(EqualsValueClause(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FixSyntax.IdentifierName(scopeName), IdentifierName("Activity")))))))
                    .WithTrailingTrivia(statement.GetTrailingTrivia().Where(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).Take(1).DefaultIfEmpty(ElasticCarriageReturnLineFeed))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                inner.Add(editor =>
                {
                    // Insert first: the replaced statement could not be found again by the editor.
                    editor.InsertAfter(statement, activity);
                    editor.ReplaceNode(statement, usingStatement);
                });
            }

            /// <summary>Any other start: <c>s.StartActivity(n, k, envelope.Context)</c> (a default context still means "the current activity").</summary>
            private void AddParent(InvocationExpressionSyntax invocation, IInvocationOperation operation, ExpressionSyntax name, ExpressionSyntax? kind, string envelope)
            {
                var context = MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FixSyntax.IdentifierName(envelope), IdentifierName("Context"));
                var hasContextParameter = operation.TargetMethod.Parameters.Any(p => p.Name == "parentContext");
                inner.Add(editor => editor.ReplaceNode(invocation, (current, _) =>
                {
                    var call = (InvocationExpressionSyntax)current;
                    if (hasContextParameter)
                    {
                        // StartActivity(kind, parentContext = default, ...): name the parent.
                        return call.WithArgumentList(call.ArgumentList.AddArguments(Argument(context).WithNameColon(NameColon("parentContext"))));
                    }

                    return call.WithArgumentList(call.ArgumentList.WithArguments(SeparatedList(new[]
                    {
                        Argument(name),
                        Argument(kind ?? InternalKind()),
                        Argument(context),
                    })));
                }));
            }

            private static ExpressionSyntax? Explicit(IInvocationOperation operation, string parameter)
                => operation.Arguments.FirstOrDefault(a => !a.IsImplicit && a.Parameter?.Name == parameter)?.Syntax is ArgumentSyntax argument
                    ? argument.Expression.WithoutTrivia()
                    : null;

            /// <summary>The activity name as written, or the caller member name the compiler passes.</summary>
            private static ExpressionSyntax? NameArgument(IInvocationOperation operation)
            {
                var argument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "name");
                if (argument is null)
                {
                    return null;
                }

                if (!argument.IsImplicit)
                {
                    return Explicit(operation, "name");
                }

                return argument.Value.ConstantValue is { HasValue: true, Value: string text }
                    ? LiteralExpression(SyntaxKind.StringLiteralExpression, Literal(text))
                    : null;
            }

            private static ExpressionSyntax InternalKind()
                => ParseExpression("global::System.Diagnostics.ActivityKind.Internal").WithAdditionalAnnotations(Simplifier.Annotation);

            private static LocalDeclarationStatementSyntax ItemDeclaration(TypeSyntax itemType, SyntaxToken itemName, string envelope)
                => LocalDeclarationStatement(VariableDeclaration(
                        itemType.WithoutTrivia(),
                        SingletonSeparatedList(VariableDeclarator(itemName)
                            .WithInitializer(EqualsValueClause(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FixSyntax.IdentifierName(envelope), IdentifierName("Item")))))))
                    .WithAdditionalAnnotations(Formatter.Annotation);

            private static StatementSyntax PrependItem(StatementSyntax body, TypeSyntax itemType, SyntaxToken itemName, string envelope)
            {
                var item = ItemDeclaration(itemType, itemName, envelope);
                if (body is BlockSyntax block)
                {
                    return block.WithStatements(block.Statements.Insert(0, item));
                }

                return Block(item, body.WithoutTrivia()).WithTriviaFrom(body).WithAdditionalAnnotations(Formatter.Annotation);
            }

            /// <summary><paramref name="preferred"/>, or with a number, so that it clashes with no name of the enclosing member nor one this fix chose for an overlapping scope.</summary>
            private string UniqueName(string preferred, SyntaxNode scope)
            {
                var overlapping = chosenNames.Where(c => c.Scope.Contains(scope) || scope.Contains(c.Scope)).Select(c => c.Name);
                var candidate = FixSyntax.FreshLocalName(model, scope, scope.SpanStart, preferred, overlapping);
                chosenNames.Add((scope, candidate));
                return candidate;
            }

            private ExpressionSyntax CreateEnvelope(ExpressionSyntax item, TypeSyntax? explicitType)
            {
                NeedsImport = true;
                SimpleNameSyntax create = explicitType is null
                    ? IdentifierName("Create")
                    : GenericName(Identifier("Create"), TypeArgumentList(SingletonSeparatedList(explicitType)));
                return InvocationExpression(
                        MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, RuntimeImport.TypeExpression(EnvelopeName, SimpleName), create),
                        ArgumentList(SingletonSeparatedList(Argument(item.WithoutTrivia()))))
                    .WithTriviaFrom(item);
            }

            private TypeSyntax Envelope(TypeSyntax element)
            {
                NeedsImport = true;
                var generic = GenericName(Identifier(EnvelopeName), TypeArgumentList(SingletonSeparatedList(element.WithoutTrivia())));
                return RuntimeImport.TypeName(generic, SimpleName).WithTriviaFrom(element);
            }

            /// <summary>The element type argument of <c>X&lt;T&gt;</c>, <c>N.X&lt;T&gt;</c>, <c>global::N.X&lt;T&gt;</c>, <c>X&lt;T&gt;?</c>.</summary>
            private static TypeSyntax? SingleTypeArgument(TypeSyntax type) => type switch
            {
                NullableTypeSyntax nullable => SingleTypeArgument(nullable.ElementType),
                QualifiedNameSyntax qualified => SingleTypeArgument(qualified.Right),
                AliasQualifiedNameSyntax alias => SingleTypeArgument(alias.Name),
                GenericNameSyntax { TypeArgumentList.Arguments.Count: 1 } generic => generic.TypeArgumentList.Arguments[0],
                _ => null,
            };
        }

        /// <summary>Fix All: each diagnostic, in order, re-planned on the solution the previous ones produced.</summary>
        private sealed class CTX207FixAll : FixAllProvider
        {
            public static readonly CTX207FixAll Instance = new();

            public override IEnumerable<FixAllScope> GetSupportedFixAllScopes()
                => new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

            public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
            {
                if (fixAllContext.CodeActionEquivalenceKey != UseContextEnvelopeKey)
                {
                    return null;
                }

                var diagnostics = new List<Diagnostic>();
                switch (fixAllContext.Scope)
                {
                    case FixAllScope.Document when fixAllContext.Document is not null:
                        diagnostics.AddRange(await fixAllContext.GetDocumentDiagnosticsAsync(fixAllContext.Document).ConfigureAwait(false));
                        break;
                    case FixAllScope.Project:
                        diagnostics.AddRange(await fixAllContext.GetAllDiagnosticsAsync(fixAllContext.Project).ConfigureAwait(false));
                        break;
                    case FixAllScope.Solution:
                        foreach (var project in fixAllContext.Solution.Projects)
                        {
                            diagnostics.AddRange(await fixAllContext.GetAllDiagnosticsAsync(project).ConfigureAwait(false));
                        }

                        break;
                }

                var solution = fixAllContext.Solution;
                var ordered = diagnostics
                    .Where(d => d.Id == DiagnosticIds.QueueHandOffDropsContext && d.Location.IsInSource && solution.GetDocumentId(d.Location.SourceTree) is not null)
                    .OrderBy(d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal)
                    .ThenBy(d => d.Location.SourceSpan.Start)
                    .ToList();
                if (ordered.Count == 0)
                {
                    return null;
                }

                return CodeAction.Create(Title, ct => ApplyAsync(solution, ordered, ct), UseContextEnvelopeKey);
            }

            private static async Task<Solution> ApplyAsync(Solution solution, List<Diagnostic> diagnostics, CancellationToken cancellationToken)
            {
                // Track each diagnostic's node through the edits with an annotation.
                var tracked = new List<(DocumentId Document, SyntaxAnnotation Annotation)>();
                foreach (var group in diagnostics.GroupBy(d => solution.GetDocumentId(d.Location.SourceTree)!))
                {
                    var root = await solution.GetDocument(group.Key)!.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                    if (root is null)
                    {
                        continue;
                    }

                    var nodes = new Dictionary<SyntaxNode, SyntaxAnnotation>();
                    foreach (var diagnostic in group)
                    {
                        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                        if (!nodes.ContainsKey(node))
                        {
                            var annotation = new SyntaxAnnotation("CTX207.FixAll");
                            nodes.Add(node, annotation);
                            tracked.Add((group.Key, annotation));
                        }
                    }

                    solution = solution.WithDocumentSyntaxRoot(group.Key, root.ReplaceNodes(nodes.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(nodes[original])));
                }

                foreach (var (documentId, annotation) in tracked)
                {
                    var document = solution.GetDocument(documentId);
                    var root = document is null ? null : await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                    var target = root?.GetAnnotatedNodes(annotation).FirstOrDefault();
                    if (target is not null)
                    {
                        solution = await RewriteAsync(solution, documentId, target.Span, cancellationToken).ConfigureAwait(false) ?? solution;
                    }
                }

                return solution;
            }
        }
    }
}
