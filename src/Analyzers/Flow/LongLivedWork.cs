using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// "Calling this method or constructor starts work that lives on after it returns": the per-method summary CTX204 uses
    /// at a call made while an activity is live (the started work captures the caller's ExecutionContext, that activity
    /// included, and parents on it for as long as it runs). Decided once per method and compilation, from the callee's
    /// syntax, for source methods and constructors only, one level deep, and only for callees actually called where an
    /// activity may be live. The callee starts long-lived work when its own body (not a nested lambda or local function):
    /// <list type="bullet">
    /// <item>runs <c>Task.Run(..)</c> or <c>Task.Factory.StartNew(..)</c> and drops the task or stores it in a field, with a
    /// callback that loops without end (<c>while (true)</c>, <c>for (;;)</c>, <c>while (!token.IsCancellationRequested)</c>),
    /// directly or in a method of the same type it calls or names;</item>
    /// <item>starts a thread it creates (<c>new Thread(..).Start()</c>, or a local or field holding one);</item>
    /// <item>creates a <c>System.Threading.Timer</c> with a callback and stores it in a field.</item>
    /// </list>
    /// A callee that suppresses flow, that clears <c>Activity.Current</c> (a fresh root for its work), or that awaits,
    /// returns or keeps the task in a local, is not a start: its work does not parent on the caller's activity, or the
    /// caller's own task-observation rules judge it.
    /// </summary>
    internal static class LongLivedWork
    {
        private static readonly MethodSummaries<Location?> Summaries = new MethodSummaries<Location?>(Compute);

        /// <summary>Where <paramref name="callee"/> starts long-lived work, or null when it does not (or is not a source method).</summary>
        public static Location? StartIn(IMethodSymbol? callee, Compilation compilation, CancellationToken cancellationToken)
        {
            if (callee is null
                || callee.MethodKind is not (MethodKind.Ordinary or MethodKind.Constructor)
                || callee.IsAbstract
                || callee.DeclaringSyntaxReferences.Length != 1)
            {
                return null;
            }

            // Most callees name nothing that starts work: one lookup in the file's shared name index decides, with no walk
            // of the body and no entry in the summaries (whose shared table is the costlier step when every callee is
            // added to it).
            var definition = callee.OriginalDefinition;
            var body = Body(definition.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken));
            if (body is null || (NameIndex.Get(body.SyntaxTree, cancellationToken).In(body.Span) & Names.WorkNames) == Names.None)
            {
                return null;
            }

            return Summaries.Get(definition, compilation, cancellationToken);
        }

        private static Location? Compute(IMethodSymbol method, CancellationToken cancellationToken)
        {
            var body = Body(method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken));
            if (body is null)
            {
                return null;
            }

            var start = FindStart(method, body, cancellationToken);
            return start is null || SuppressesOrRoots(body) ? null : start;
        }

        private static Location? FindStart(IMethodSymbol method, SyntaxNode body, CancellationToken cancellationToken)
        {
            HashSet<string>? threads = null;
            foreach (var node in OwnNodes(body))
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (node)
                {
                    case InvocationExpressionSyntax invocation when IsTaskStart(invocation) && IsDropped(invocation, body):
                        if (invocation.ArgumentList.Arguments.Count > 0 && RunsForever(invocation.ArgumentList.Arguments[0].Expression, method.ContainingType, cancellationToken))
                        {
                            return invocation.Expression.GetLocation();
                        }

                        break;
                    case ObjectCreationExpressionSyntax creation when TypeName(creation.Type) == "Thread":
                        // new Thread(..).Start(), or the name it is stored in (a local or a field) for a later Start().
                        if (creation.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Start", Parent: InvocationExpressionSyntax started })
                        {
                            return started.Expression.GetLocation();
                        }

                        if (StoredName(creation) is { } thread)
                        {
                            (threads ??= new HashSet<string>()).Add(thread);
                        }

                        break;
                    case ObjectCreationExpressionSyntax creation when TypeName(creation.Type) == "Timer" && IsThreadingTimer(creation) && StoredInField(creation, body):
                        return creation.GetLocation();
                }
            }

            if (threads is not null)
            {
                // A thread the callee joins ends before it returns.
                Location? started = null;
                foreach (var node in OwnNodes(body))
                {
                    if (node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Start" or "Join" } access } call
                        && call.ArgumentList.Arguments.Count <= 1
                        && LastName(access.Expression) is { } receiver
                        && threads.Contains(receiver))
                    {
                        if (access.Name.Identifier.ValueText == "Join")
                        {
                            return null;
                        }

                        started ??= call.Expression.GetLocation();
                    }
                }

                return started;
            }

            return null;
        }

        private static SyntaxNode? Body(SyntaxNode declaration) => declaration switch
        {
            BaseMethodDeclarationSyntax method => (SyntaxNode?)method.Body ?? method.ExpressionBody,
            _ => null,
        };

        /// <summary>The nodes of a body, not descending into lambdas or local functions (work they start may never run).</summary>
        private static IEnumerable<SyntaxNode> OwnNodes(SyntaxNode body) =>
            body.DescendantNodes(n => n == body || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax));

        /// <summary>
        /// <c>ExecutionContext.SuppressFlow()</c> (the work does not capture the caller's context), or <c>Activity.Current = null</c>
        /// (the work starts a fresh root).
        /// </summary>
        private static bool SuppressesOrRoots(SyntaxNode body)
        {
            foreach (var node in body.DescendantNodes())
            {
                switch (node)
                {
                    case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SuppressFlow" or "UnsafeStart" }:
                        return true;
                    case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current" } target, Right: var value }
                        when LastName(target.Expression) == "Activity" && value.IsKind(SyntaxKind.NullLiteralExpression):
                        return true;
                }
            }

            return false;
        }

        /// <summary><c>Task.Run(..)</c>, <c>Task.Factory.StartNew(..)</c>, <c>factory.StartNew(..)</c>.</summary>
        private static bool IsTaskStart(InvocationExpressionSyntax invocation) => invocation.Expression switch
        {
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Run" } run => LastName(run.Expression) == "Task",
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "StartNew" } => true,
            _ => false,
        };

        /// <summary>The task is not awaited, returned, passed on or kept in a local: a statement of its own, a discard, or a field.</summary>
        private static bool IsDropped(InvocationExpressionSyntax invocation, SyntaxNode body)
        {
            SyntaxNode value = invocation;
            while (value.Parent is ParenthesizedExpressionSyntax
                || (value.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } access && access.Expression == value && access.Parent is InvocationExpressionSyntax))
            {
                value = value.Parent is MemberAccessExpressionSyntax ? value.Parent.Parent! : value.Parent;
            }

            return value.Parent switch
            {
                ExpressionStatementSyntax => true,
                ArrowExpressionClauseSyntax arrow => IsStatementBody(arrow),
                AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment when assignment.Right == value
                    && (assignment.Parent is ExpressionStatementSyntax || (assignment.Parent is ArrowExpressionClauseSyntax arrow && IsStatementBody(arrow)))
                    => IsField(assignment.Left, body),
                _ => false,
            };
        }

        /// <summary>The expression body of a constructor or a <c>void</c> method: a statement, its value is dropped.</summary>
        private static bool IsStatementBody(ArrowExpressionClauseSyntax arrow) => arrow.Parent switch
        {
            ConstructorDeclarationSyntax => true,
            MethodDeclarationSyntax { ReturnType: PredefinedTypeSyntax predefined } => predefined.Keyword.IsKind(SyntaxKind.VoidKeyword),
            _ => false,
        };

        /// <summary><c>_ = ..</c>, <c>this.x = ..</c>, or a name that no local or parameter of the body declares.</summary>
        private static bool IsField(ExpressionSyntax target, SyntaxNode body)
        {
            switch (target)
            {
                case IdentifierNameSyntax { Identifier.ValueText: "_" }:
                    return true;
                case MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }:
                    return true;
                case IdentifierNameSyntax name:
                    foreach (var node in body.DescendantNodes())
                    {
                        if ((node is VariableDeclaratorSyntax declarator && declarator.Identifier.ValueText == name.Identifier.ValueText)
                            || (node is SingleVariableDesignationSyntax designation && designation.Identifier.ValueText == name.Identifier.ValueText))
                        {
                            return false;
                        }
                    }

                    return body.Parent is not BaseMethodDeclarationSyntax { ParameterList: { } parameters } || !HasParameter(parameters, name.Identifier.ValueText);
                default:
                    return false;
            }
        }

        private static bool HasParameter(ParameterListSyntax parameters, string name)
        {
            foreach (var parameter in parameters.Parameters)
            {
                if (parameter.Identifier.ValueText == name)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool StoredInField(ObjectCreationExpressionSyntax creation, SyntaxNode body) =>
            creation.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment
            && assignment.Right == creation
            && IsField(assignment.Left, body)
            && assignment.Left is not IdentifierNameSyntax { Identifier.ValueText: "_" };

        /// <summary><c>System.Threading.Timer</c>: its callback comes first (<c>System.Timers.Timer</c> takes an interval or nothing).</summary>
        private static bool IsThreadingTimer(ObjectCreationExpressionSyntax creation) =>
            creation.ArgumentList is { Arguments: { Count: > 0 } arguments }
            && (arguments.Count >= 2 || arguments[0].Expression is AnonymousFunctionExpressionSyntax);

        /// <summary>The local or field a created value is stored in: <c>var t = new ..</c>, <c>t = new ..</c>, <c>this.t = new ..</c>.</summary>
        private static string? StoredName(ExpressionSyntax creation) => creation.Parent switch
        {
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } => declarator.Identifier.ValueText,
            AssignmentExpressionSyntax assignment when assignment.Right == creation => LastName(assignment.Left),
            _ => null,
        };

        /// <summary>
        /// The callback loops without end: a lambda whose body has such a loop, or that calls (or is) a method of
        /// <paramref name="type"/> whose body has one (one level).
        /// </summary>
        private static bool RunsForever(ExpressionSyntax callback, INamedTypeSymbol? type, CancellationToken cancellationToken)
        {
            switch (callback)
            {
                case AnonymousFunctionExpressionSyntax lambda:
                    var body = (SyntaxNode?)lambda.Block ?? lambda.ExpressionBody;
                    if (body is null)
                    {
                        return false;
                    }

                    if (HasEndlessLoop(body))
                    {
                        return true;
                    }

                    foreach (var node in body.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax || n == body))
                    {
                        if (node is InvocationExpressionSyntax call && CalleeName(call.Expression) is { } name && MethodLoopsForever(type, name, cancellationToken))
                        {
                            return true;
                        }
                    }

                    return false;
                case IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }:
                    return LastName(callback) is { } group && MethodLoopsForever(type, group, cancellationToken);
                default:
                    return false;
            }
        }

        /// <summary>
        /// A method named <paramref name="name"/> of the type (or its base types) whose body has an endless loop, or that
        /// calls one that has (two levels: a main loop that awaits its receive loop).
        /// </summary>
        private static bool MethodLoopsForever(INamedTypeSymbol? type, string name, CancellationToken cancellationToken, int depth = 0)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                foreach (var member in current.GetMembers(name))
                {
                    if (member is not IMethodSymbol { DeclaringSyntaxReferences.Length: 1 } method
                        || Body(method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken)) is not { } body)
                    {
                        continue;
                    }

                    if (HasEndlessLoop(body))
                    {
                        return true;
                    }

                    if (depth == 0)
                    {
                        foreach (var node in OwnNodes(body))
                        {
                            if (node is InvocationExpressionSyntax call && CalleeName(call.Expression) is { } callee && callee != name
                                && MethodLoopsForever(type, callee, cancellationToken, depth + 1))
                            {
                                return true;
                            }
                        }
                    }
                }
            }

            return false;
        }

        /// <summary><c>while (true)</c>, <c>do .. while (true)</c>, <c>for (;;)</c>, <c>while (!x.IsCancellationRequested)</c>.</summary>
        private static bool HasEndlessLoop(SyntaxNode body)
        {
            foreach (var node in body.DescendantNodesAndSelf(n => n is not AnonymousFunctionExpressionSyntax || n == body))
            {
                switch (node)
                {
                    case WhileStatementSyntax loop when IsEndless(loop.Condition):
                    case DoStatementSyntax doLoop when IsEndless(doLoop.Condition):
                    case ForStatementSyntax { Condition: null }:
                        return true;
                }
            }

            return false;
        }

        /// <remarks>
        /// Besides the literal forms, a <c>PeriodicTimer</c> loop (<c>while (await timer.WaitForNextTickAsync(ct))</c>) and a
        /// loop until the object is closed: <c>while (!_closed)</c>, <c>while (false == _closed)</c>,
        /// <c>while (_disposed == false)</c> on a field named for the end of the object's life.
        /// </remarks>
        private static bool IsEndless(ExpressionSyntax condition) => condition switch
        {
            LiteralExpressionSyntax literal => literal.IsKind(SyntaxKind.TrueLiteralExpression),
            ParenthesizedExpressionSyntax parenthesized => IsEndless(parenthesized.Expression),
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression, Operand: var operand }
                => LastName(operand) == "IsCancellationRequested" || IsLifetimeFlag(operand),
            // A PeriodicTimer loop ticks until its token is cancelled or the timer disposed.
            AwaitExpressionSyntax { Expression: InvocationExpressionSyntax tick } => LastName(tick.Expression) == "WaitForNextTickAsync",
            BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression } equals
                => (equals.Left.IsKind(SyntaxKind.FalseLiteralExpression) && IsLifetimeFlag(equals.Right))
                    || (equals.Right.IsKind(SyntaxKind.FalseLiteralExpression) && IsLifetimeFlag(equals.Left)),
            _ => false,
        };

        /// <summary>A field (<c>this.</c> member or a prefixed name) named for the end of the object's life: <c>_closed</c>, <c>_disposed</c>, <c>_stopped</c>.</summary>
        private static bool IsLifetimeFlag(ExpressionSyntax operand)
        {
            // Syntax only, so a field is told from a local by how it is written: this.x, or a field prefix (_x, m_x, s_x).
            if (LastName(operand) is not { } name)
            {
                return false;
            }

            string trimmed;
            if (operand is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax })
            {
                trimmed = name.TrimStart('_');
            }
            else if (operand is IdentifierNameSyntax && (name.StartsWith("_", System.StringComparison.Ordinal) || name.StartsWith("m_", System.StringComparison.Ordinal) || name.StartsWith("s_", System.StringComparison.Ordinal)))
            {
                trimmed = name.StartsWith("_", System.StringComparison.Ordinal) ? name.TrimStart('_') : name.Substring(2);
            }
            else
            {
                return false;
            }

            trimmed = trimmed.ToLowerInvariant();

            return trimmed is "closed" or "isclosed" or "disposed" or "isdisposed" or "stopped" or "isstopped" or "stopping" or "shutdown" or "closing";
        }

        private static string? CalleeName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax name => name.Identifier.ValueText,
            GenericNameSyntax generic => generic.Identifier.ValueText,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access => access.Name.Identifier.ValueText,
            _ => null,
        };

        private static string? TypeName(TypeSyntax type) => type switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            _ => null,
        };

        private static string? LastName(ExpressionSyntax expression) => AmbientOwnership.LastName(expression);
    }
}
