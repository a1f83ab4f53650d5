using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace ContextAnalyzers.Rules
{
    // The per-document plan: every use of the queue in one document, checked, and the edits that rewrite it.
    public sealed partial class CTX207QueueHandOffDropsContextCodeFix
    {
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
    }
}
