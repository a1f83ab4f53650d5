using System.Collections.Generic;
using System.Threading;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX201 (c) through a stored delegate: the method stores a delegate its caller supplied in a field or property of an
    /// object (itself, a state object it creates or holds), hands that object to an unsafe hop (as the
    /// <c>IThreadPoolWorkItem</c> of <c>UnsafeQueueUserWorkItem(this, ..)</c>, or as the state of the callback), and the
    /// code that runs on the hop invokes the stored delegate: the work item's <c>Execute</c>, or the callback, and the
    /// methods of the object's type they call (a few levels). The caller's code then runs with no <c>Activity.Current</c>
    /// and no baggage. A delegate the type stores from anything but the method's own parameter (its own callback), and work
    /// that runs the delegate under <c>ExecutionContext.Run</c> (a context captured for it), are not this shape.
    /// </summary>
    internal static class CTX201StoredCallerDelegate
    {
        private const int MaxBodies = 16;

        /// <summary>The stored member's name and where the hop's code invokes it, or null.</summary>
        public static (string Member, Location Invocation)? Find(IInvocationOperation queue, CancellationToken cancellationToken)
        {
            var function = FlowOperations.EnclosingFunction(queue);
            if (function is null)
            {
                return null;
            }

            // What the function hands to the hop: the work item or the callback's state, and the callback.
            SyntaxNode? callbackEntry = null;
            var workItems = new List<(IOperation Value, bool IsWorkItem)>();
            foreach (var argument in queue.Arguments)
            {
                var value = FlowOperations.SkipConversions(argument.Value);
                var parameterType = argument.Parameter?.Type;
                if (value is null || parameterType is null || parameterType.SpecialType == SpecialType.System_Boolean)
                {
                    continue;
                }

                if (parameterType.TypeKind == TypeKind.Delegate)
                {
                    callbackEntry = CallbackSyntax(value, cancellationToken);
                    continue;
                }

                workItems.Add((value, parameterType.Name == "IThreadPoolWorkItem"));
            }

            foreach (var (value, isWorkItem) in workItems)
            {
                if (value.Type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } type)
                {
                    continue;
                }

                var stored = StoredCallerMembers(value, function, queue.Syntax.Span.End, cancellationToken);
                if (stored is null)
                {
                    continue;
                }

                var entries = new List<SyntaxNode>();
                if (isWorkItem && Method(type, "Execute", cancellationToken) is { } execute)
                {
                    entries.Add(execute);
                }

                if (callbackEntry is not null)
                {
                    entries.Add(callbackEntry);
                }

                var found = InvokedOnTheHop(type, entries, stored, cancellationToken);
                if (found is not null)
                {
                    return found;
                }
            }

            return null;
        }

        /// <summary>
        /// The members of <paramref name="holder"/> (<c>this</c>, a local, a created object) that the function sets to one of
        /// its delegate parameters before <paramref name="before"/> (the hop's arguments included): <c>field = callback</c>, <c>state.Callback = callback</c>,
        /// <c>new State { Callback = callback }</c>, <c>new State(callback)</c> whose constructor stores it.
        /// </summary>
        private static HashSet<string>? StoredCallerMembers(IOperation holder, IOperation function, int before, CancellationToken cancellationToken)
        {
            HashSet<string>? members = null;
            var holderLocal = HolderLocal(holder);
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation.Syntax.SpanStart >= before)
                {
                    continue;
                }

                switch (operation)
                {
                    case ISimpleAssignmentOperation { Target: IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } target } assignment
                        when IsCallerDelegate(assignment.Value) && IsHolder(target.Instance, holder, holderLocal):
                        (members ??= new HashSet<string>()).Add(target.Member.Name);
                        break;
                    case IObjectCreationOperation creation when IsHolder(creation, holder, holderLocal):
                        foreach (var argument in creation.Arguments)
                        {
                            if (IsCallerDelegate(argument.Value) && argument.Parameter is { } parameter
                                && StoredByConstructor(creation.Constructor, parameter.Name, cancellationToken) is { } field)
                            {
                                (members ??= new HashSet<string>()).Add(field);
                            }
                        }

                        break;
                }
            }

            return members;
        }

        private static ILocalSymbol? HolderLocal(IOperation holder) => holder switch
        {
            ILocalReferenceOperation local => local.Local,
            _ => null,
        };

        /// <summary>
        /// The instance is the holder: both <c>this</c>; the holder's local; the created object itself, the implicit receiver
        /// of its object initializer, or the creation stored in the holder's local.
        /// </summary>
        private static bool IsHolder(IOperation? instance, IOperation holder, ILocalSymbol? holderLocal)
        {
            instance = FlowOperations.SkipConversions(instance);
            switch (instance)
            {
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                    return holder is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver }:
                    for (var parent = instance.Parent; parent is not null; parent = parent.Parent)
                    {
                        if (parent is IObjectCreationOperation creation)
                        {
                            return IsHolder(creation, holder, holderLocal);
                        }
                    }

                    return false;
                case ILocalReferenceOperation local:
                    return holderLocal is not null && SymbolEqualityComparer.Default.Equals(local.Local, holderLocal);
                case IObjectCreationOperation creation:
                    if (creation == holder)
                    {
                        return true;
                    }

                    if (holderLocal is null)
                    {
                        return false;
                    }

                    var value = (IOperation)creation;
                    while (value.Parent is IConversionOperation)
                    {
                        value = value.Parent;
                    }

                    return value.Parent switch
                    {
                        IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => SymbolEqualityComparer.Default.Equals(declarator.Symbol, holderLocal),
                        ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } => SymbolEqualityComparer.Default.Equals(target.Local, holderLocal),
                        _ => false,
                    };
                default:
                    return false;
            }
        }

        /// <summary>A delegate parameter of the method (or of a function enclosing it): the caller's code.</summary>
        private static bool IsCallerDelegate(IOperation? value) =>
            FlowOperations.SkipConversions(value) is IParameterReferenceOperation { Parameter.Type.TypeKind: TypeKind.Delegate };

        /// <summary>The field or property a source constructor sets to its parameter <paramref name="parameter"/> (<c>x = p</c>, <c>this.x = p</c>).</summary>
        private static string? StoredByConstructor(IMethodSymbol? constructor, string parameter, CancellationToken cancellationToken)
        {
            if (constructor is not { DeclaringSyntaxReferences.Length: 1 }
                || constructor.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not ConstructorDeclarationSyntax declaration)
            {
                return null;
            }

            foreach (var node in ((SyntaxNode?)declaration.Body ?? declaration.ExpressionBody)?.DescendantNodes() ?? System.Linq.Enumerable.Empty<SyntaxNode>())
            {
                if (node is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Right: IdentifierNameSyntax source } assignment
                    && source.Identifier.ValueText == parameter
                    && assignment.Left is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax })
                {
                    return AmbientOwnership.LastName(assignment.Left);
                }
            }

            return null;
        }

        /// <summary>The code a callback runs: a lambda, a method group's body, or the lambda a field or local is initialised with.</summary>
        private static SyntaxNode? CallbackSyntax(IOperation callback, CancellationToken cancellationToken)
        {
            while (callback is IDelegateCreationOperation creation)
            {
                callback = FlowOperations.SkipConversions(creation.Target)!;
            }

            switch (callback)
            {
                case IAnonymousFunctionOperation lambda:
                    return lambda.Syntax;
                case IMethodReferenceOperation { Method.DeclaringSyntaxReferences.Length: 1 } reference:
                    return reference.Method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
                case IFieldReferenceOperation { Field.DeclaringSyntaxReferences.Length: 1 } field:
                    return (field.Field.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) as VariableDeclaratorSyntax)?.Initializer?.Value;
                default:
                    return null;
            }
        }

        /// <summary>The body of the most derived method of <paramref name="type"/> named <paramref name="name"/> that has one.</summary>
        private static SyntaxNode? Method(INamedTypeSymbol type, string name, CancellationToken cancellationToken)
        {
            for (var current = type.OriginalDefinition; current is not null; current = current.BaseType?.OriginalDefinition)
            {
                foreach (var member in current.GetMembers(name))
                {
                    if (member is IMethodSymbol { IsAbstract: false, DeclaringSyntaxReferences.Length: 1 } method
                        && method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is BaseMethodDeclarationSyntax declaration
                        && ((SyntaxNode?)declaration.Body ?? declaration.ExpressionBody) is { } body)
                    {
                        return body;
                    }
                }
            }

            return null;
        }

        /// <summary>
        /// Walks the entry bodies and the methods of <paramref name="type"/> they call (by name), for an invocation of a
        /// stored member. Null when none is found, or when the walked code runs under <c>ExecutionContext.Run</c>.
        /// </summary>
        private static (string Member, Location Invocation)? InvokedOnTheHop(INamedTypeSymbol type, List<SyntaxNode> entries, HashSet<string> stored, CancellationToken cancellationToken)
        {
            var queue = new Queue<SyntaxNode>(entries);
            var seen = new HashSet<string>();
            (string Member, Location Invocation)? found = null;
            for (var visited = 0; queue.Count > 0 && visited < MaxBodies; visited++)
            {
                var body = queue.Dequeue();
                foreach (var node in body.DescendantNodesAndSelf())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (node is not InvocationExpressionSyntax invocation)
                    {
                        continue;
                    }

                    if (invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Run", Expression: var receiver }
                        && AmbientOwnership.LastName(receiver) == "ExecutionContext")
                    {
                        return null; // a captured context is restored for the work
                    }

                    if (found is null && InvokedMember(invocation) is { } member && stored.Contains(member))
                    {
                        var whole = invocation.Parent is ConditionalAccessExpressionSyntax access && access.WhenNotNull == invocation ? access : (SyntaxNode)invocation;
                        found = (member, whole.GetLocation());
                        continue;
                    }

                    if (CalledName(invocation.Expression) is { } name && seen.Add(name) && Method(type, name, cancellationToken) is { } callee)
                    {
                        queue.Enqueue(callee);
                    }
                }
            }

            return found;
        }

        /// <summary>The member a delegate invocation calls: <c>f(..)</c>, <c>this.f(..)</c>, <c>f!(..)</c>, <c>f.Invoke(..)</c>, <c>f?.Invoke(..)</c>.</summary>
        private static string? InvokedMember(InvocationExpressionSyntax invocation)
        {
            var expression = invocation.Expression;
            if (expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Invoke" } invoke)
            {
                expression = invoke.Expression;
            }
            else if (expression is MemberBindingExpressionSyntax { Name.Identifier.ValueText: "Invoke" } && invocation.Parent is ConditionalAccessExpressionSyntax conditional)
            {
                expression = conditional.Expression;
            }

            while (expression is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang)
            {
                expression = bang.Operand;
            }

            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            return AmbientOwnership.LastName(expression);
        }

        private static string? CalledName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax name => name.Identifier.ValueText,
            GenericNameSyntax generic => generic.Identifier.ValueText,
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
            _ => null,
        };
    }
}
