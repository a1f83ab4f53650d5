using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ContextAnalyzers.Flow;
using ContextAnalyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX101 fixes. <b>Restore in finally</b> (no dependency): save the previous value before the change and restore it in
    /// the <c>finally</c> of a <c>try</c> that wraps the rest of the block. <b>Use a scope</b> (only when
    /// ContextAnalyzers.Runtime is referenced): <c>using var scope = ContextScope.Activate(x)</c> /
    /// <c>ContextScope.Use(b)</c> / <c>ContextScope.SetBaggage(k, v)</c> / <c>ContextScope.SetValue&lt;T&gt;(slot, v)</c>.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CTX101AmbientContextNotRestoredCodeFix)), Shared]
    public sealed class CTX101AmbientContextNotRestoredCodeFix : CodeFixProvider
    {
        public const string RestoreInFinallyKey = "CTX101.RestoreInFinally";
        public const string UseContextScopeKey = "CTX101.UseContextScope";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.AmbientContextNotRestored);

        // Edits of one block overlap (the try wraps the rest of the block) and names must stay unique: fix one by one.
        // A diagnostic covers consecutive changes of one store (its additional locations): the fix treats each of them.
        public override FixAllProvider GetFixAllProvider() => SequentialFixAll.Create(ApplyAsync, includeAdditionalLocations: true);

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
                foreach (var key in new[] { RestoreInFinallyKey, UseContextScopeKey })
                {
                    if (Plan(node, model, context.Document.Project.AnalyzerOptions, key, context.CancellationToken) is not null)
                    {
                        var title = key == RestoreInFinallyKey ? "Restore the previous value in finally" : "Use a ContextScope";
                        context.RegisterCodeFix(
                            CodeAction.Create(title, ct => SequentialFixAll.ApplyInOrderAsync(context.Document, SequentialFixAll.Spans(diagnostic, context.Document, includeAdditionalLocations: true), key, ApplyAsync, ct), key),
                            diagnostic);
                    }
                }
            }
        }

        private static async Task<Document> ApplyAsync(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, string key, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return document;
            }

            var node = root.FindNode(span, getInnermostNodeForTie: true);
            var plan = Plan(node, model, document.Project.AnalyzerOptions, key, cancellationToken);
            return plan is null ? document : document.WithSyntaxRoot(plan(root));
        }

        /// <summary>Checks every precondition and returns the rewrite, or null when the fix does not apply.</summary>
        private static Func<SyntaxNode, SyntaxNode>? Plan(SyntaxNode node, SemanticModel model, AnalyzerOptions options, string key, CancellationToken cancellationToken)
        {
            if (node is ArgumentSyntax or ParenthesizedExpressionSyntax)
            {
                return null;
            }

            if (node.Parent is not ExpressionStatementSyntax statement || statement.Parent is not BlockSyntax block)
            {
                return null;
            }

            var operation = model.GetOperation(node, cancellationToken);
            if (operation is null)
            {
                return null;
            }

            var types = KnownTypes.Get(model.Compilation);
            var members = AmbientMembers.Get(model.Compilation).For(node.SyntaxTree, options, cancellationToken);
            var mutation = AmbientMutation.Classify(operation, types, members);
            if (mutation.Store == AmbientStore.None || AmbientMutation.IsCoveredByRestoringFinally(operation, mutation, types, cancellationToken))
            {
                return null; // Fix All: an earlier fix of the same block already covers this change
            }

            return key == RestoreInFinallyKey
                ? PlanRestoreInFinally(statement, block, operation, mutation, model)
                : PlanUseScope(statement, block, operation, mutation, types, model);
        }

        // ------------------------------------------------------------------ restore in finally

        private static Func<SyntaxNode, SyntaxNode>? PlanRestoreInFinally(ExpressionStatementSyntax statement, BlockSyntax block, IOperation operation, AmbientMutation mutation, SemanticModel model)
        {
            var index = block.Statements.IndexOf(statement);
            if (index < 0 || !block.Statements.Skip(index + 1).Any(st => st is not LocalFunctionStatementSyntax))
            {
                return null; // nothing after the change: a method whose purpose is to set the context (make it a scope type)
            }

            ExpressionSyntax read;
            Func<ExpressionSyntax, StatementSyntax> restore;
            string baseName;
            switch (mutation.Store)
            {
                case AmbientStore.Activity:
                    read = Qualified("global::System.Diagnostics.Activity.Current");
                    restore = previous => ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, Qualified("global::System.Diagnostics.Activity.Current"), previous));
                    baseName = "previousActivity";
                    break;
                case AmbientStore.Baggage when operation is not IInvocationOperation { TargetMethod.Name: "SetValue" }:
                    read = Qualified("global::OpenTelemetry.Baggage.Current");
                    restore = previous => ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, Qualified("global::OpenTelemetry.Baggage.Current"), previous));
                    baseName = "previousBaggage";
                    break;
                case AmbientStore.RuntimeContextSlot when operation is IInvocationOperation { TargetMethod: { IsGenericMethod: true } method, Arguments.Length: 2 } setValue
                                                          && setValue.Arguments[0].Value.ConstantValue.HasValue
                                                          && setValue.Arguments.All(a => a.ArgumentKind == ArgumentKind.Explicit):
                    var slotName = (ExpressionSyntax)setValue.Arguments.First(a => a.Parameter?.Ordinal == 0).Value.Syntax;
                    var typeArgument = method.TypeArguments[0];
                    if (typeArgument.TypeKind == TypeKind.Error)
                    {
                        return null;
                    }

                    var typeSyntax = ParseTypeName(typeArgument.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).WithAdditionalAnnotations(Simplifier.Annotation);
                    read = InvocationExpression(
                            MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Qualified("global::OpenTelemetry.Context.RuntimeContext"), GenericName(Identifier("GetValue"), TypeArgumentList(SingletonSeparatedList(typeSyntax)))),
                            ArgumentList(SingletonSeparatedList(Argument(slotName.WithoutTrivia()))));
                    restore = previous => ExpressionStatement(InvocationExpression(
                        MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Qualified("global::OpenTelemetry.Context.RuntimeContext"), IdentifierName("SetValue")),
                        ArgumentList(SeparatedList(new[] { Argument(slotName.WithoutTrivia()), Argument(previous) }))));
                    baseName = "previousValue";
                    break;
                case AmbientStore.Custom when mutation.Member is { } member && operation is ISimpleAssignmentOperation { Target.Syntax: ExpressionSyntax target } && IsPlainAccess(target):
                    // A team's member: read and write it back through the expression the change wrote (a field's Value or
                    // a static property, evaluated again without side effects).
                    var access = target.WithoutTrivia();
                    read = access.WithAdditionalAnnotations(Simplifier.Annotation);
                    restore = previous => ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, access, previous));
                    baseName = member.ValueType is INamedTypeSymbol { SpecialType: SpecialType.None, TypeKind: not TypeKind.Error, IsGenericType: false } valueType
                        ? "previous" + valueType.Name
                        : "previousValue";
                    break;
                default:
                    return null;
            }

            var name = FixSyntax.FreshLocalName(model, block, statement.SpanStart, baseName);
            return root =>
            {
                var currentBlock = block;
                var statements = currentBlock.Statements;
                // Local functions stay outside the try: code before the change may call them.
                var rest = statements.Skip(index + 1).Where(st => st is not LocalFunctionStatementSyntax).ToList();
                var localFunctions = statements.Skip(index + 1).OfType<LocalFunctionStatementSyntax>();
                var save = LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"), SingletonSeparatedList(
                        VariableDeclarator(FixSyntax.Identifier(name)).WithInitializer(EqualsValueClause(read)))))
                    .WithLeadingTrivia(statements[index].GetLeadingTrivia())
                    .WithAdditionalAnnotations(Formatter.Annotation);
                var changed = statements[index].WithLeadingTrivia(ElasticMarker).WithAdditionalAnnotations(Formatter.Annotation);

                // Trivia before the first moved statement stays with it inside the try; trailing trivia of the block stays.
                var tryStatement = TryStatement(
                        Block(rest),
                        default,
                        FinallyClause(Block(restore(FixSyntax.IdentifierName(name)))))
                    .WithAdditionalAnnotations(Formatter.Annotation);

                var newStatements = statements.Take(index).Concat(new StatementSyntax[] { save, changed, tryStatement }).Concat(localFunctions);
                return root.ReplaceNode(currentBlock, currentBlock.WithStatements(List(newStatements)));
            };
        }

        // ------------------------------------------------------------------ use a scope

        private static Func<SyntaxNode, SyntaxNode>? PlanUseScope(ExpressionStatementSyntax statement, BlockSyntax block, IOperation operation, AmbientMutation mutation, KnownTypes types, SemanticModel model)
        {
            if (!types.HasRuntime || ((CSharpParseOptions)statement.SyntaxTree.Options).LanguageVersion < LanguageVersion.CSharp8)
            {
                return null;
            }

            // `Activity.Current = null` makes a later `StartActivity(.., parentContext: default)` a root, and says so: the
            // scope would hide that, and the start would read as a default parent that is not a root (CTX406). The
            // restore-in-finally fix keeps the assignment.
            if (operation is ISimpleAssignmentOperation clear && mutation.Store == AmbientStore.Activity && IsNullLiteral(clear.Value)
                && StartsWithDefaultParentAfter(statement, types, model))
            {
                return null;
            }

            var simple = RuntimeImport.CanUseSimpleName(model, statement.SpanStart, "ContextScope");
            var scope = ScopeExpression(operation, mutation, simple);
            if (scope is null)
            {
                return null;
            }

            var name = FixSyntax.FreshLocalName(model, block, statement.SpanStart, "scope");
            return root =>
            {
                var current = statement;
                var declaration = LocalDeclarationStatement(VariableDeclaration(IdentifierName("var"), SingletonSeparatedList(
                        VariableDeclarator(FixSyntax.Identifier(name)).WithInitializer(EqualsValueClause(scope)))))
                    .WithUsingKeyword(Token(SyntaxKind.UsingKeyword))
                    .WithTriviaFrom(current)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return RuntimeImport.EnsureUsing(root.ReplaceNode(current, declaration), simple);
            };
        }

        /// <summary>
        /// A <c>StartActivity</c>/<c>CreateActivity</c> after <paramref name="statement"/> in the same member passes an
        /// explicit default parent (named or positional).
        /// </summary>
        private static bool StartsWithDefaultParentAfter(StatementSyntax statement, KnownTypes types, SemanticModel model)
        {
            var member = (SyntaxNode?)statement.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? statement.SyntaxTree.GetRoot();
            foreach (var invocation in member.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (invocation.SpanStart > statement.Span.End
                    && invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "StartActivity" or "CreateActivity" }
                    && model.GetOperation(invocation) is IInvocationOperation start
                    && PropagationWiring.GetParentState(start, types, out _) == PropagationWiring.ParentState.ExplicitDefault)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The <c>ContextScope</c> call that does what the mutation does, or null when there is none.</summary>
        private static ExpressionSyntax? ScopeExpression(IOperation operation, AmbientMutation mutation, bool simple)
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation assignment when mutation.Store == AmbientStore.Activity:
                    var value = (ExpressionSyntax)assignment.Value.Syntax;
                    return IsNullLiteral(assignment.Value)
                        ? FixSyntax.ContextScopeCall(simple, "ClearActivity")
                        : FixSyntax.ContextScopeCall(simple, "Activate", value);
                case ISimpleAssignmentOperation assignment when mutation.Store == AmbientStore.Baggage:
                    return FixSyntax.ContextScopeCall(simple, "Use", (ExpressionSyntax)assignment.Value.Syntax);
                case IInvocationOperation { TargetMethod.Name: "SetBaggage" or "RemoveBaggage" or "ClearBaggage" } invocation when mutation.Store == AmbientStore.Baggage:
                    return BaggageScope(invocation, simple);
                case IInvocationOperation { TargetMethod: { Name: "SetValue", IsGenericMethod: true } method } invocation when mutation.Store == AmbientStore.RuntimeContextSlot:
                    var slot = ArgumentFor(invocation, 0);
                    var slotValue = ArgumentFor(invocation, 1);
                    if (slot is null || slotValue is null || method.TypeArguments[0].TypeKind == TypeKind.Error)
                    {
                        return null;
                    }

                    var typeSyntax = ParseTypeName(method.TypeArguments[0].ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).WithAdditionalAnnotations(Simplifier.Annotation);
                    return InvocationExpression(
                        MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FixSyntax.ContextScopeType(simple), GenericName(Identifier("SetValue"), TypeArgumentList(SingletonSeparatedList(typeSyntax)))),
                        ArgumentList(SeparatedList(new[] { Argument(slot.WithoutTrivia()), Argument(slotValue.WithoutTrivia()) })));
                default:
                    return null;
            }
        }

        private static ExpressionSyntax? BaggageScope(IInvocationOperation invocation, bool simple)
        {
            var method = invocation.TargetMethod;
            var explicitBaggage = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "baggage" && a.ArgumentKind == ArgumentKind.Explicit);
            var others = invocation.Arguments.Where(a => a.Parameter?.Name != "baggage").OrderBy(a => a.Parameter?.Ordinal ?? 0).ToList();
            if (others.Any(a => a.ArgumentKind != ArgumentKind.Explicit))
            {
                return null; // params arrays and the like: keep it simple
            }

            var arguments = others.Select(a => ((ExpressionSyntax)a.Value.Syntax).WithoutTrivia()).ToArray();
            if (explicitBaggage is null || IsDefault(explicitBaggage.Value))
            {
                return FixSyntax.ContextScopeCall(simple, method.Name, arguments);
            }

            if (method.Name == "ClearBaggage")
            {
                return FixSyntax.ContextScopeCall(simple, "ClearBaggage");
            }

            // Baggage.SetBaggage(k, v, b) makes b.SetBaggage(k, v) current.
            var receiver = ((ExpressionSyntax)explicitBaggage.Value.Syntax).WithoutTrivia();
            if (receiver is not (IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax))
            {
                receiver = ParenthesizedExpression(receiver);
            }

            var derived = InvocationExpression(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, IdentifierName(method.Name)),
                ArgumentList(SeparatedList(arguments.Select(Argument))));
            return FixSyntax.ContextScopeCall(simple, "Use", derived);
        }

        private static ExpressionSyntax? ArgumentFor(IInvocationOperation invocation, int ordinal)
        {
            var argument = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal);
            return argument is { ArgumentKind: ArgumentKind.Explicit } ? (ExpressionSyntax)argument.Value.Syntax : null;
        }

        private static bool IsNullLiteral(IOperation value)
        {
            while (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }

            return value is ILiteralOperation && value.ConstantValue is { HasValue: true, Value: null } || value is IDefaultValueOperation;
        }

        private static bool IsDefault(IOperation value)
        {
            while (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }

            return value is IDefaultValueOperation || value.ConstantValue is { HasValue: true, Value: null };
        }

        /// <summary>A name or a chain of member accesses on names: reading it again has no side effect.</summary>
        private static bool IsPlainAccess(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax or AliasQualifiedNameSyntax or QualifiedNameSyntax or PredefinedTypeSyntax or GenericNameSyntax => true,
            MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access => IsPlainAccess(access.Expression),
            _ => false,
        };

        private static ExpressionSyntax Qualified(string name)
            => ParseExpression(name).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
    }
}
