using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// "This value is a started activity": the one recogniser CTX102, CTX204, CTX205 and CTX207 share. A value is a started
    /// activity when it is
    /// <list type="bullet">
    /// <item><c>ActivitySource.StartActivity(..)</c>, <c>Tracer.StartActiveSpan(..)</c> (and, for ownership only,
    /// <c>Tracer.StartSpan/StartRootSpan</c>);</item>
    /// <item><c>Activity.Start()</c> on a fresh activity, through fluent calls that return the same activity:
    /// <c>new Activity(n).SetParentId(id).Start()</c>, <c>source.CreateActivity(..)?.Start()</c>;</item>
    /// <item>a conditional whose branches are starts or null: <c>enabled ? source.StartActivity(..) : null</c>,
    /// <c>a ?? source.StartActivity(..)</c> when <c>a</c> is itself a start or null, a switch expression whose arms are;</item>
    /// <item>a call of a method of the same compilation that returns such a value (one level deep, decided once per
    /// method and compilation from its syntax: every <c>return</c> is a start, a local initialised with one, or null).</item>
    /// </list>
    /// </summary>
    internal static class ActivityStarts
    {
        private static readonly ConditionalWeakTable<KnownTypes, ConcurrentDictionary<IMethodSymbol, bool>> Helpers =
            new ConditionalWeakTable<KnownTypes, ConcurrentDictionary<IMethodSymbol, bool>>();

        /// <summary>
        /// The start call <paramref name="value"/> is (or, for a conditional, one of its start branches), else null.
        /// <paramref name="currentOnly"/> keeps only starts that make the activity current (not <c>Tracer.StartSpan</c>).
        /// </summary>
        public static IInvocationOperation? StartOf(IOperation? value, KnownTypes types, bool currentOnly, CancellationToken cancellationToken)
        {
            for (var depth = 0; depth < 8 && value is not null; depth++)
            {
                value = Skip(value);
                switch (value)
                {
                    case IInvocationOperation invocation:
                        if (IsStartCall(invocation, types, currentOnly) || ReturnsStartedActivity(invocation.TargetMethod, types, cancellationToken))
                        {
                            return invocation;
                        }

                        // A fluent call on a started activity (SetTag, AddEvent...) returns the same activity.
                        if (invocation.Instance is { } receiver && IsFluent(invocation))
                        {
                            value = receiver;
                            continue;
                        }

                        return null;
                    case IConditionalAccessOperation access:
                        // source.CreateActivity(..)?.Start(), source.StartActivity(..)?.SetTag(..)
                        var tail = access.WhenNotNull;
                        while (tail is IConditionalAccessOperation nested)
                        {
                            tail = nested.WhenNotNull;
                        }

                        if (tail is IInvocationOperation call && IsStartCall(call, types, currentOnly))
                        {
                            return call;
                        }

                        if (tail is IInvocationOperation fluent && IsFluent(fluent))
                        {
                            value = access.Operation;
                            continue;
                        }

                        return null;
                    case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                        return Either(conditional.WhenTrue, whenFalse, types, currentOnly, cancellationToken);
                    case ICoalesceOperation coalesce:
                        return Either(coalesce.Value, coalesce.WhenNull, types, currentOnly, cancellationToken);
                    case ISwitchExpressionOperation switchExpression:
                        IInvocationOperation? found = null;
                        foreach (var arm in switchExpression.Arms)
                        {
                            if (IsNull(arm.Value))
                            {
                                continue;
                            }

                            var start = StartOf(arm.Value, types, currentOnly, cancellationToken);
                            if (start is null)
                            {
                                return null;
                            }

                            found ??= start;
                        }

                        return found;
                    default:
                        return null;
                }
            }

            return null;
        }

        /// <summary>A start call itself: <c>StartActivity</c>, <c>StartActiveSpan</c>, <c>Start()</c> on an activity.</summary>
        public static bool IsStartCall(IInvocationOperation invocation, KnownTypes types, bool currentOnly)
        {
            var method = invocation.TargetMethod;
            switch (method.Name)
            {
                case "StartActivity":
                    return types.ActivitySource is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.ActivitySource);
                case "StartActiveSpan":
                    return types.Tracer is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Tracer);
                case "StartSpan":
                case "StartRootSpan":
                    return !currentOnly && types.Tracer is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Tracer);
                case "Start":
                    return types.Activity is not null && !method.IsStatic && method.Parameters.Length == 0
                        && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Activity);
                default:
                    return false;
            }
        }

        /// <summary>
        /// <c>new Activity(..)</c> or <c>source.CreateActivity(..)</c>, possibly through fluent calls
        /// (<c>SetParentId</c>, <c>SetTag</c>...): an activity nobody else has yet, which <c>.Start()</c> starts.
        /// </summary>
        public static bool IsFreshActivity(IOperation? operation, KnownTypes types)
        {
            for (var depth = 0; depth < 16 && operation is not null; depth++)
            {
                operation = Skip(operation);
                switch (operation)
                {
                    case IObjectCreationOperation creation:
                        return types.Activity is not null && SymbolEqualityComparer.Default.Equals(creation.Type, types.Activity);
                    case IInvocationOperation { TargetMethod.Name: "CreateActivity" } create:
                        return types.ActivitySource is not null && SymbolEqualityComparer.Default.Equals(create.TargetMethod.ContainingType, types.ActivitySource);
                    case IInvocationOperation fluent when fluent.Instance is not null && IsFluent(fluent):
                        operation = fluent.Instance;
                        continue;
                    case IConditionalAccessInstanceOperation:
                        operation = ConditionalReceiver(operation);
                        continue;
                    default:
                        return false;
                }
            }

            return false;
        }

        /// <summary>
        /// The names of the compilation's methods that return a started activity. Decided once per compilation from the
        /// files that name a start method (one lookup in each file's shared <see cref="NameIndex"/>), then a syntax check of
        /// their methods declared to return <c>Activity</c> or <c>TelemetrySpan</c>. Rules whose bodies are gated on a
        /// start name widen the gate with <see cref="CallsStartHelper"/>: a body that starts through such a helper names
        /// no start method itself, but names the helper.
        /// </summary>
        public static ImmutableHashSet<string> StartHelperNames(KnownTypes types, CancellationToken cancellationToken)
            => HelperNames.Get(types, cancellationToken);

        private static readonly CompilationNames HelperNames = new CompilationNames(ComputeStartHelperNames);

        private static ImmutableHashSet<string> ComputeStartHelperNames(KnownTypes types, CancellationToken cancellationToken)
        {
            // Methods declared to return an activity, in the files that name a start method; then, a few rounds, in the
            // files that name a helper found so far: a helper may start through another helper (OpenConnection calls
            // source.StartRabbitMQActivity(..), which calls CreateActivity(..)?.Start()).
            var names = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            var candidates = new List<MethodDeclarationSyntax>();
            foreach (var (method, _) in CompilationNames.Methods(types.Compilation, Names.StartActivity | Names.StartActiveSpan | Names.Start, cancellationToken))
            {
                if (ReturnsActivityType(method.ReturnType))
                {
                    candidates.Add(method);
                }
            }

            for (var round = 0; round < 3 && candidates.Count > 0; round++)
            {
                var found = names.Count;
                var soFar = names.ToImmutable();
                for (var i = candidates.Count - 1; i >= 0; i--)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (ReturnsStartedSyntax(candidates[i].Body, candidates[i].ExpressionBody, soFar))
                    {
                        names.Add(candidates[i].Identifier.ValueText);
                        candidates.RemoveAt(i);
                    }
                }

                if (names.Count == found)
                {
                    break;
                }
            }

            return names.ToImmutable();
        }

        private static readonly ConditionalWeakTable<ImmutableHashSet<string>, ConditionalWeakTable<SyntaxTree, int[]>> HelperMentions =
            new ConditionalWeakTable<ImmutableHashSet<string>, ConditionalWeakTable<SyntaxTree, int[]>>();

        /// <summary>
        /// Do the blocks spell one of <paramref name="helperNames"/>? A gate, not a decision: the file's text is searched
        /// once per file and helper set (an ordinal text search, much cheaper than a token walk of every body; a name in a
        /// comment or string only opens the gate), then each block asks whether a hit lies in its span.
        /// </summary>
        public static bool CallsStartHelper(ImmutableArray<IOperation> blocks, ImmutableHashSet<string> helperNames, CancellationToken cancellationToken)
            => MentionsAny(blocks, helperNames, cancellationToken);

        /// <summary>
        /// Does the text of the blocks spell one of <paramref name="helperNames"/> as a whole identifier? The same search as
        /// <see cref="CallsStartHelper"/>, for any set of names found once per compilation (keep the set's instance: the
        /// per-file hits are cached by it).
        /// </summary>
        public static bool MentionsAny(ImmutableArray<IOperation> blocks, ImmutableHashSet<string> helperNames, CancellationToken cancellationToken)
        {
            if (helperNames.IsEmpty)
            {
                return false;
            }

            var perTree = HelperMentions.GetValue(helperNames, _ => new ConditionalWeakTable<SyntaxTree, int[]>());
            foreach (var block in blocks)
            {
                var tree = block.Syntax.SyntaxTree;
                var hits = perTree.GetValue(tree, t => FindMentions(t, helperNames, cancellationToken));
                if (hits.Length == 0)
                {
                    continue;
                }

                var span = block.Syntax.Span;
                var index = Array.BinarySearch(hits, span.Start);
                if (index < 0)
                {
                    index = ~index;
                }

                if (index < hits.Length && hits[index] < span.End)
                {
                    return true;
                }
            }

            return false;
        }

        private static int[] FindMentions(SyntaxTree tree, ImmutableHashSet<string> names, CancellationToken cancellationToken)
        {
            var text = tree.GetText(cancellationToken).ToString();
            var hits = new List<int>();
            foreach (var name in names)
            {
                for (var at = text.IndexOf(name, StringComparison.Ordinal); at >= 0; at = text.IndexOf(name, at + name.Length, StringComparison.Ordinal))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var before = at == 0 ? ' ' : text[at - 1];
                    var afterIndex = at + name.Length;
                    var after = afterIndex < text.Length ? text[afterIndex] : ' ';
                    if (!IsIdentifierPart(before) && !IsIdentifierPart(after))
                    {
                        hits.Add(at);
                    }
                }
            }

            hits.Sort();
            return hits.ToArray();
        }

        private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_';

        private static bool ReturnsActivityType(TypeSyntax type)
        {
            if (type is NullableTypeSyntax nullable)
            {
                type = nullable.ElementType;
            }

            var name = type switch
            {
                QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
                SimpleNameSyntax simple => simple.Identifier.ValueText,
                _ => null,
            };
            return name is "Activity" or "TelemetrySpan";
        }

        /// <summary>
        /// A method of this compilation whose every <c>return</c> gives a started activity (or null) and at least one a
        /// start: decided once per method and compilation, from the method's syntax (names of the start calls; the
        /// declared return type is <c>Activity</c> or <c>TelemetrySpan</c>).
        /// </summary>
        public static bool ReturnsStartedActivity(IMethodSymbol method, KnownTypes types, CancellationToken cancellationToken)
        {
            if (method.MethodKind != MethodKind.Ordinary && method.MethodKind != MethodKind.LocalFunction
                || method.DeclaringSyntaxReferences.Length != 1
                || !(SymbolEqualityComparer.Default.Equals(method.ReturnType, types.Activity)
                    || types.TelemetrySpan is not null && SymbolEqualityComparer.Default.Equals(method.ReturnType, types.TelemetrySpan)))
            {
                return false;
            }

            var cache = Helpers.GetValue(types, _ => new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default));
            var definition = method.OriginalDefinition;
            if (cache.TryGetValue(definition, out var known))
            {
                return known;
            }

            var result = ComputeReturnsStarted(definition, StartHelperNames(types, cancellationToken), cancellationToken);
            cache.TryAdd(definition, result);
            return result;
        }

        private static bool ComputeReturnsStarted(IMethodSymbol method, ImmutableHashSet<string> helpers, CancellationToken cancellationToken)
        {
            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            SyntaxNode? body;
            ArrowExpressionClauseSyntax? arrow;
            switch (syntax)
            {
                case MethodDeclarationSyntax declaration:
                    body = declaration.Body;
                    arrow = declaration.ExpressionBody;
                    break;
                case LocalFunctionStatementSyntax local:
                    body = local.Body;
                    arrow = local.ExpressionBody;
                    break;
                default:
                    return false;
            }

            return ReturnsStartedSyntax(body, arrow, helpers);
        }

        private static bool ReturnsStartedSyntax(SyntaxNode? body, ArrowExpressionClauseSyntax? arrow, ImmutableHashSet<string> helpers)
        {
            if (arrow is not null)
            {
                return IsStartSyntax(arrow.Expression, null, helpers) == true;
            }

            if (body is null)
            {
                return false;
            }

            var any = false;
            foreach (var node in body.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
            {
                if (node is not ReturnStatementSyntax { Expression: { } returned })
                {
                    continue;
                }

                switch (IsStartSyntax(returned, body, helpers))
                {
                    case true:
                        any = true;
                        break;
                    case false:
                        return false;
                }
            }

            return any;
        }

        /// <summary>True: a start; null: <c>null</c>/<c>default</c>; false: anything else.</summary>
        private static bool? IsStartSyntax(ExpressionSyntax expression, SyntaxNode? body, ImmutableHashSet<string> helpers)
        {
            expression = SkipSyntax(expression);
            switch (expression)
            {
                case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression }:
                case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression }:
                    return null;
                case InvocationExpressionSyntax invocation:
                    return NameOf(invocation.Expression) is "StartActivity" or "StartActiveSpan"
                        || (NameOf(invocation.Expression) == "Start" && invocation.ArgumentList.Arguments.Count == 0)
                        || (NameOf(invocation.Expression) is { } helper && helpers.Contains(helper));
                case ConditionalAccessExpressionSyntax access:
                    return access.WhenNotNull is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } tail
                        && NameOf(tail.Expression) == "Start";
                case ConditionalExpressionSyntax conditional:
                    return Combine(IsStartSyntax(conditional.WhenTrue, body, helpers), IsStartSyntax(conditional.WhenFalse, body, helpers));
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceExpression } coalesce:
                    return Combine(IsStartSyntax(coalesce.Left, body, helpers), IsStartSyntax(coalesce.Right, body, helpers));
                case IdentifierNameSyntax identifier when body is not null:
                    // return activity; where 'activity' is a local of this body initialised with a start and never assigned.
                    VariableDeclaratorSyntax? declarator = null;
                    foreach (var node in body.DescendantNodes())
                    {
                        if (node is VariableDeclaratorSyntax candidate && candidate.Identifier.ValueText == identifier.Identifier.ValueText)
                        {
                            if (declarator is not null)
                            {
                                return false;
                            }

                            declarator = candidate;
                        }
                        else if (node is AssignmentExpressionSyntax { Left: IdentifierNameSyntax target } && target.Identifier.ValueText == identifier.Identifier.ValueText)
                        {
                            return false;
                        }
                    }

                    return declarator?.Initializer is { } initializer && IsStartSyntax(initializer.Value, null, helpers) == true;
                default:
                    return false;
            }
        }

        private static bool? Combine(bool? left, bool? right)
        {
            if (left == false || right == false)
            {
                return false;
            }

            return left == true || right == true ? true : null;
        }

        private static string? NameOf(ExpressionSyntax expression) => expression switch
        {
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
            SimpleNameSyntax name => name.Identifier.ValueText,
            _ => null,
        };

        private static ExpressionSyntax SkipSyntax(ExpressionSyntax expression)
        {
            while (true)
            {
                switch (expression)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang:
                        expression = bang.Operand;
                        continue;
                    case CastExpressionSyntax cast:
                        expression = cast.Expression;
                        continue;
                    default:
                        return expression;
                }
            }
        }

        private static IInvocationOperation? Either(IOperation first, IOperation second, KnownTypes types, bool currentOnly, CancellationToken cancellationToken)
        {
            var a = IsNull(first) ? null : StartOf(first, types, currentOnly, cancellationToken);
            var b = IsNull(second) ? null : StartOf(second, types, currentOnly, cancellationToken);
            if ((a is null && !IsNull(first)) || (b is null && !IsNull(second)))
            {
                return null; // one branch is someone else's activity (Activity.Current, a field): not ours to judge
            }

            return a ?? b;
        }

        /// <summary>A call that returns its receiver's type (<c>SetTag</c>, <c>SetParentId</c>, <c>AddEvent</c>), not an end.</summary>
        public static bool IsFluent(IInvocationOperation call) =>
            call.Instance?.Type is { } receiverType
            && call.Type is { } resultType
            && !ActivityLifetime.IsEndMethodName(call.TargetMethod.Name)
            && call.TargetMethod.Name != "Start"
            && SymbolEqualityComparer.Default.Equals(resultType.OriginalDefinition, receiverType.OriginalDefinition);

        public static bool IsNull(IOperation? operation)
        {
            operation = Skip(operation);
            return operation is IDefaultValueOperation || operation is not null && operation.ConstantValue is { HasValue: true, Value: null };
        }

        private static IOperation? ConditionalReceiver(IOperation instance)
        {
            for (var parent = instance.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is IConditionalAccessOperation conditional)
                {
                    return conditional.Operation;
                }
            }

            return null;
        }

        private static IOperation? Skip(IOperation? operation)
        {
            while (true)
            {
                switch (operation)
                {
                    case IConversionOperation { OperatorMethod: null } conversion:
                        operation = conversion.Operand;
                        continue;
                    case IParenthesizedOperation parenthesized:
                        operation = parenthesized.Operand;
                        continue;
                    default:
                        return operation;
                }
            }
        }
    }
}
