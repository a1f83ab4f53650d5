using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Rules
{
    // Queue discovery: the symbols that hold one queue (a channel and the writer/reader taken from it) and its element type.
    public sealed partial class CTX207QueueHandOffDropsContextCodeFix
    {
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
    }
}
