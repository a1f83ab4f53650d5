using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// "Does this call take ownership of the activity passed to it?" Passing an activity to a method that only tags it,
    /// reads it or enriches it through a callback leaves it the caller's to end. Decided per parameter, once per
    /// compilation:
    /// <list type="bullet">
    /// <item>a method of this compilation: from its syntax, one level deep: it takes ownership when it ends the parameter
    /// (<c>Stop</c>/<c>Dispose</c>/<c>End</c>), stores it, returns it, captures it or passes it to anything but a
    /// delegate's <c>Invoke</c>; member reads and calls on it (<c>p.SetTag(..)</c>, <c>p?.Context</c>) and null tests do not;</item>
    /// <item>a delegate named as an enrichment callback (<c>enrich?.Invoke(activity)</c>) that returns nothing; any other
    /// delegate (an <c>owner</c> callback) may keep it;</item>
    /// <item>any other callee: it takes ownership unless its parameter is typed <c>Activity</c>/<c>TelemetrySpan</c>, it
    /// returns nothing, and its name does not say it keeps or ends the value (<c>Add</c>, <c>Store</c>, <c>Track</c>,
    /// <c>Register</c>, <c>SetCurrent</c>, <c>Stop</c>, <c>End</c>...).</item>
    /// </list>
    /// </summary>
    internal static class ArgumentOwnership
    {
        private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<IParameterSymbol, bool>> Summaries =
            new ConditionalWeakTable<Compilation, ConcurrentDictionary<IParameterSymbol, bool>>();

        private static readonly string[] KeepingWords =
        {
            // Adding tags/events to it (AddTag, AddException) or setting its status (SetStatus) looks at it; adding or
            // setting the activity itself somewhere keeps it.
            "Stop", "Dispose", "End", "Finish", "Complete", "Close", "AddActivity", "AddSpan", "SetActivity", "SetSpan", "SetCurrent",
            "Store", "Save", "Keep", "Hold", "Track", "Register", "Enqueue", "Push", "Attach", "Own", "Cache", "Return", "Release",
            "Transfer", "Adopt",
        };

        /// <summary>True when passing <paramref name="argument"/> may hand the activity over to the callee.</summary>
        public static bool TakesOwnership(IArgumentOperation argument, CancellationToken cancellationToken)
        {
            if (argument.Parameter is not { RefKind: RefKind.None } parameter || argument.Parent is not IInvocationOperation call)
            {
                return true;
            }

            var method = call.TargetMethod;
            if (method.MethodKind == MethodKind.DelegateInvoke)
            {
                // enrich?.Invoke(activity): an enrichment callback looks at it; any other delegate (an 'owner' callback)
                // may keep or end it.
                return !method.ReturnsVoid || DelegateName(call)?.IndexOf("nrich", StringComparison.Ordinal) is null or < 0;
            }

            var definition = parameter.OriginalDefinition;
            if (method.DeclaringSyntaxReferences.Length == 1 && !method.IsAbstract && !method.IsVirtual && !method.IsOverride
                && method.MethodKind is MethodKind.Ordinary or MethodKind.LocalFunction or MethodKind.ReducedExtension)
            {
                var compilation = argument.SemanticModel?.Compilation;
                if (compilation is null)
                {
                    return true;
                }

                var cache = Summaries.GetValue(compilation, _ => new ConcurrentDictionary<IParameterSymbol, bool>(SymbolEqualityComparer.Default));
                if (!cache.TryGetValue(definition, out var takes))
                {
                    takes = ComputeFromSyntax(method.OriginalDefinition, definition, cancellationToken);
                    cache.TryAdd(definition, takes);
                }

                return takes;
            }

            // A generic parameter (List<T>.Add) stores whatever it is given.
            if (method.DeclaringSyntaxReferences.Length > 0 || !method.ReturnsVoid || !IsActivityType(definition.Type))
            {
                return true;
            }

            foreach (var word in KeepingWords)
            {
                if (method.Name.IndexOf(word, StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static string? DelegateName(IInvocationOperation call)
        {
            var instance = call.Instance;
            while (instance is IConversionOperation conversion)
            {
                instance = conversion.Operand;
            }

            if (instance is IConditionalAccessInstanceOperation)
            {
                for (var parent = call.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IConditionalAccessOperation access)
                    {
                        instance = access.Operation;
                        break;
                    }
                }
            }

            return instance switch
            {
                IParameterReferenceOperation parameter => parameter.Parameter.Name,
                ILocalReferenceOperation local => local.Local.Name,
                IMemberReferenceOperation member => member.Member.Name,
                _ => null,
            };
        }

        private static bool IsActivityType(ITypeSymbol type) =>
            type.Name is "Activity" or "TelemetrySpan"
            && type.ContainingNamespace?.ToDisplayString() is "System.Diagnostics" or "OpenTelemetry.Trace";

        private static bool ComputeFromSyntax(IMethodSymbol method, IParameterSymbol parameter, CancellationToken cancellationToken)
        {
            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            SyntaxNode? body = syntax switch
            {
                MethodDeclarationSyntax declaration => (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody,
                LocalFunctionStatementSyntax local => (SyntaxNode?)local.Body ?? local.ExpressionBody,
                _ => null,
            };

            if (body is null)
            {
                return true;
            }

            var name = parameter.Name;
            foreach (var node in body.DescendantNodes())
            {
                if (node is not IdentifierNameSyntax identifier || identifier.Identifier.ValueText != name)
                {
                    continue;
                }

                if (node.Ancestors().TakeWhileInside(body) is true)
                {
                    return true; // captured by a lambda or a local function
                }

                if (!IsLookOnlyUse(identifier))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True when a lambda or local function between the node and the body captures the parameter.</summary>
        private static bool? TakeWhileInside(this System.Collections.Generic.IEnumerable<SyntaxNode> ancestors, SyntaxNode body)
        {
            foreach (var ancestor in ancestors)
            {
                if (ancestor == body)
                {
                    return false;
                }

                if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsLookOnlyUse(IdentifierNameSyntax identifier)
        {
            SyntaxNode use = identifier;
            while (use.Parent is ParenthesizedExpressionSyntax or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression })
            {
                use = use.Parent;
            }

            switch (use.Parent)
            {
                case MemberAccessExpressionSyntax access when access.Expression == use:
                    return !ActivityLifetime.IsEndMethodName(access.Name.Identifier.ValueText);
                case ConditionalAccessExpressionSyntax conditional when conditional.Expression == use:
                    var binding = conditional.WhenNotNull;
                    while (binding is InvocationExpressionSyntax { Expression: { } callee })
                    {
                        binding = callee;
                    }

                    while (binding is MemberAccessExpressionSyntax { Expression: { } inner })
                    {
                        binding = inner;
                    }

                    return binding is not MemberBindingExpressionSyntax member || !ActivityLifetime.IsEndMethodName(member.Name.Identifier.ValueText);
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression }:
                case IsPatternExpressionSyntax:
                    return true;
                case ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } }:
                    // enrich?.Invoke(activity), enrich.Invoke(activity): handed to the caller's callback to look at.
                    return invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Invoke" }
                        || invocation.Expression is MemberBindingExpressionSyntax { Name.Identifier.ValueText: "Invoke" };
                default:
                    return false;
            }
        }
    }
}
