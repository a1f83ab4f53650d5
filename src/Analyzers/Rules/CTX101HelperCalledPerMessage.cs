using System;
using System.Collections.Immutable;
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
    /// CTX101 across a call: a helper of the compilation that makes a message's activity current
    /// (<c>Activity.Current = message.Activity</c>) and does not restore it, called once per message from a loop of a
    /// synchronous method that never restores <c>Activity.Current</c> itself. CTX101 is silent on the helper (writing an
    /// activity held in a field or property is how a running activity is made current again, restores included), so the
    /// change is reported at the call, with the helper's write as an additional location: the last message's activity
    /// leaks to whatever runs after the loop, the method's caller included. Only helpers whose type writes
    /// <c>Activity.Current</c> nowhere else are summarised (no end hook, no scope that restores), read from their syntax
    /// once per method and compilation, for the methods called in loops only. Baggage and <c>RuntimeContext</c> helpers are
    /// already reported in the helper itself.
    /// </summary>
    internal static class CTX101HelperCalledPerMessage
    {
        /// <summary>
        /// Set on a diagnostic whose additional locations are context (the helper's write), not more changes to fix: the
        /// CTX101 fixes (and their Fix All) must not rewrite the helper.
        /// </summary>
        public const string ContextLocationsProperty = "ctx.contextLocations";

        private static readonly ImmutableDictionary<string, string?> Properties = ImmutableDictionary<string, string?>.Empty.Add(ContextLocationsProperty, "1");

        private static readonly MethodSummaries<(int Ordinal, Location Write)?> Summaries = new MethodSummaries<(int Ordinal, Location Write)?>(Compute);

        public static void Analyze(OperationAnalysisContext context, KnownTypes types)
        {
            var loop = (ILoopOperation)context.Operation;
            if (loop.Body is null
                || FlowOperations.EnclosingFunction(loop) is not { } function
                || function is IAnonymousFunctionOperation
                || FunctionSymbol(function, context.ContainingSymbol) is not { IsAsync: false } method
                || AmbientOwnership.IsStartupCode(method, context.ContainingSymbol))
            {
                return;
            }

            // Most loops call no helper that could write Activity.Current: the loop's text is searched for the names of
            // the compilation's candidates (found once) before its operations are walked.
            var candidates = CandidateNames(types, context.CancellationToken);
            if (candidates.IsEmpty || !ActivityStarts.MentionsAny(ImmutableArray.Create(loop.Body), candidates, context.CancellationToken))
            {
                return;
            }

            var compilation = types.Compilation;
            foreach (var operation in FlowOperations.OwnOperations(loop.Body))
            {
                if (operation is not IInvocationOperation { TargetMethod: { DeclaringSyntaxReferences.Length: 1 } callee } call
                    || InnermostLoop(call, loop) != loop
                    || Summary(callee, compilation, context.CancellationToken) is not { } helper
                    || ArgumentFor(call, helper.Ordinal) is not { } argument
                    || !IsPerMessage(argument, loop)
                    || WritesActivityCurrent(function, types))
                {
                    continue;
                }

                var location = call.Syntax is InvocationExpressionSyntax syntax ? syntax.Expression.GetLocation() : call.Syntax.GetLocation();
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CTX101AmbientContextNotRestored,
                    location,
                    new[] { helper.Write },
                    Properties,
                    "Activity.Current",
                    method.Name));
            }
        }

        private static IMethodSymbol? FunctionSymbol(IOperation function, ISymbol containing) => function switch
        {
            ILocalFunctionOperation local => local.Symbol,
            _ => containing as IMethodSymbol,
        };

        private static ILoopOperation? InnermostLoop(IOperation operation, ILoopOperation outer)
        {
            for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is ILoopOperation loop)
                {
                    return loop;
                }

                if (parent == outer)
                {
                    break;
                }
            }

            return null;
        }

        private static IOperation? ArgumentFor(IInvocationOperation call, int ordinal)
        {
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return FlowOperations.SkipConversions(argument.Value);
                }
            }

            return null;
        }

        /// <summary>The argument is this iteration's message: the <c>foreach</c> variable, or a local declared in the loop (its body or its condition).</summary>
        private static bool IsPerMessage(IOperation argument, ILoopOperation loop)
        {
            if (argument is not ILocalReferenceOperation { Local: var local })
            {
                return false;
            }

            if (loop is IForEachLoopOperation forEach)
            {
                foreach (var iteration in forEach.Locals)
                {
                    if (SymbolEqualityComparer.Default.Equals(iteration, local))
                    {
                        return true;
                    }
                }
            }

            return local.DeclaringSyntaxReferences.Length == 1 && loop.Syntax.Span.Contains(local.DeclaringSyntaxReferences[0].Span);
        }

        private static bool WritesActivityCurrent(IOperation function, KnownTypes types)
        {
            foreach (var operation in FlowOperations.OwnOperations(function))
            {
                if (operation is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property } }
                    && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Activity))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The parameter whose member the helper makes current, and the write; null when the helper is not that shape.</summary>
        private static (int Ordinal, Location Write)? Summary(IMethodSymbol callee, Compilation compilation, CancellationToken cancellationToken)
        {
            if (callee.MethodKind != MethodKind.Ordinary || !callee.ReturnsVoid || callee.IsAsync || callee.IsAbstract)
            {
                return null;
            }

            // A callee whose name is no candidate's is no helper: it stays out of the summaries' table.
            if (!CandidateNames(KnownTypes.Get(compilation), cancellationToken).Contains(callee.Name))
            {
                return null;
            }

            return Summaries.Get(callee, compilation, cancellationToken);
        }

        private static readonly CompilationNames Candidates = new CompilationNames(ComputeCandidateNames);

        /// <summary>
        /// The names of the compilation's methods that may be such a helper: <c>void</c>, not <c>async</c>, with a body that
        /// writes <c>Activity.Current</c>. The loops' gate, and the callees' (a callee of another name is no helper).
        /// </summary>
        public static ImmutableHashSet<string> CandidateNames(KnownTypes types, CancellationToken cancellationToken) => Candidates.Get(types, cancellationToken);

        private static ImmutableHashSet<string> ComputeCandidateNames(KnownTypes types, CancellationToken cancellationToken)
        {
            var names = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            foreach (var (method, index) in CompilationNames.Methods(types.Compilation, Names.Current, cancellationToken))
            {
                if (method.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword }
                    && !method.Modifiers.Any(SyntaxKind.AsyncKeyword)
                    && ((SyntaxNode?)method.Body ?? method.ExpressionBody) is { } body
                    && (index.In(body.Span) & Names.Current) != Names.None
                    && WritesActivityCurrent(body))
                {
                    names.Add(method.Identifier.ValueText);
                }
            }

            return names.ToImmutable();
        }

        private static bool WritesActivityCurrent(SyntaxNode body)
        {
            foreach (var node in body.DescendantNodes())
            {
                if (node is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current" } access }
                    && AmbientOwnership.LastName(access.Expression) == "Activity")
                {
                    return true;
                }
            }

            return false;
        }

        private static (int Ordinal, Location Write)? Compute(IMethodSymbol method, CancellationToken cancellationToken)
        {
            if (method.Name.StartsWith("Restore", StringComparison.Ordinal) || method.Name.StartsWith("Reset", StringComparison.Ordinal) || method.Name.StartsWith("Revert", StringComparison.Ordinal)
                || method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax declaration
                || ((SyntaxNode?)declaration.Body ?? declaration.ExpressionBody) is not { } body)
            {
                return null;
            }

            AssignmentExpressionSyntax? write = null;
            foreach (var node in body.DescendantNodes())
            {
                switch (node)
                {
                    case TryStatementSyntax:
                    case AnonymousFunctionExpressionSyntax:
                    case LocalFunctionStatementSyntax:
                        return null; // restored in a finally, or run elsewhere
                    case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current" } access when AmbientOwnership.LastName(access.Expression) == "Activity":
                        if (access.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment && assignment.Left == access && write is null)
                        {
                            write = assignment;
                            continue;
                        }

                        return null; // read (saved for a restore) or written twice
                }
            }

            if (write is null || ParameterMember(write.Right, declaration) is not { } ordinal || TypeWritesElsewhere(method, declaration, cancellationToken))
            {
                return null;
            }

            return (ordinal, write.GetLocation());
        }

        /// <summary><c>p.X</c>, <c>p.X!</c>: a member of the helper's parameter <c>p</c> (its ordinal), else null.</summary>
        private static int? ParameterMember(ExpressionSyntax value, MethodDeclarationSyntax declaration)
        {
            while (value is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang)
            {
                value = bang.Operand;
            }

            var receiver = value switch
            {
                MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax name } => name,
                _ => null, // p?.X is a new value to CTX101, which reports it in the helper
            };

            if (receiver is null)
            {
                return null;
            }

            var parameters = declaration.ParameterList.Parameters;
            for (var i = 0; i < parameters.Count; i++)
            {
                if (parameters[i].Identifier.ValueText == receiver.Identifier.ValueText)
                {
                    return i;
                }
            }

            return null;
        }

        /// <summary>Another member of the helper's type writes <c>Activity.Current</c> (an end hook, a restore, a scope's Dispose).</summary>
        private static bool TypeWritesElsewhere(IMethodSymbol method, MethodDeclarationSyntax helper, CancellationToken cancellationToken)
        {
            foreach (var reference in method.ContainingType?.DeclaringSyntaxReferences ?? ImmutableArray<SyntaxReference>.Empty)
            {
                foreach (var node in reference.GetSyntax(cancellationToken).DescendantNodes())
                {
                    if (node is AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current" } target }
                        && AmbientOwnership.LastName(target.Expression) == "Activity"
                        && !(node.SyntaxTree == helper.SyntaxTree && helper.Span.Contains(node.Span)))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
