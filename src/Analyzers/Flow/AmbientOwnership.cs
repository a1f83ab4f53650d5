using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using ContextAnalyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Flow
{
    /// <summary>What a write to an ambient store writes, as far as restoring goes.</summary>
    internal enum AmbientValue
    {
        /// <summary>A new value: extracted, built, started, or unknown.</summary>
        New,

        /// <summary>A value saved earlier outside this method's locals: a field, a property of a holder, an items entry,
        /// a pattern or out variable unpacked from storage, <c>activity.Parent</c>: writing it back is a restore.</summary>
        Saved,

        /// <summary>A local of this method that was read from the same store and never changed: the local restore pattern.</summary>
        SavedLocal,

        /// <summary><c>null</c>, <c>default</c>, <c>ClearBaggage()</c>: the store is cleared.</summary>
        Clear,

        /// <summary>Straight from the method's parameters: the caller chose the value (a setter or restore helper).</summary>
        Parameter,

        /// <summary>A local holding a just-started activity, not checked for null: <c>null</c> when the activity is not sampled.</summary>
        StartedUnguarded,

        /// <summary>A local holding a just-started activity, checked for null (or the store was cleared first): a no-op.</summary>
        StartedGuarded,
    }

    /// <summary>One write to an ambient store, collected for the type-level decision of CTX101.</summary>
    internal sealed class AmbientWrite
    {
        public AmbientWrite(IOperation operation, AmbientMutation mutation, string? slot, AmbientValue value, ISymbol member, IMethodSymbol function)
        {
            Operation = operation;
            Mutation = mutation;
            Slot = slot;
            Value = value;
            Member = member;
            Function = function;
        }

        public IOperation Operation { get; }

        public AmbientMutation Mutation { get; }

        /// <summary>For a <c>RuntimeContext</c> slot: its name (a constant, or the field that holds it); null when unknown.</summary>
        public string? Slot { get; }

        public AmbientValue Value { get; }

        /// <summary>The type member the write is in.</summary>
        public ISymbol Member { get; }

        /// <summary>The innermost method, local function or lambda the write is in.</summary>
        public IMethodSymbol Function { get; }

        /// <summary>Judged on its own method: a change that is not restored there.</summary>
        public bool IsCandidate { get; set; }

        /// <summary>In async code or a thread-pool delegate, where it cannot reach any other member's flow.</summary>
        public bool IsConfined { get; set; }

        public bool SameStore(AmbientWrite other) =>
            Mutation.SameStore(other.Mutation)
            && (Mutation.Store != AmbientStore.RuntimeContextSlot || Slot is null || other.Slot is null || Slot == other.Slot);
    }

    /// <summary>
    /// The writes of one type and the CTX101 decision on them. A change that its own method does not restore is still
    /// silent when the restore is owned elsewhere, the way instrumentation code is written: the type has another member
    /// that puts a saved value back or clears the store (an end hook, a span factory's <c>End</c>, a restore helper); the
    /// method is a begin hook with its end hook in the type (<c>BeginRequest</c>/<c>EndRequest</c>,
    /// <c>OnPerforming</c>/<c>OnPerformed</c>, <c>OnStartActivity</c>/<c>OnStopActivity</c>), a DiagnosticListener observer,
    /// or it saves the previous value where the end hook finds it (a field, an items entry); the method returns the scope
    /// that undoes it, or is the constructor of a disposable scope. A just-started activity written to
    /// <c>Activity.Current</c> without a null check is reported whatever the type does: when the activity is not sampled
    /// the write clears the caller's activity, and no end hook can put it back (there is no activity to end).
    /// </summary>
    internal sealed class AmbientWrites
    {
        private readonly INamedTypeSymbol type;
        private readonly ConcurrentQueue<AmbientWrite> writes = new ConcurrentQueue<AmbientWrite>();

        public AmbientWrites(INamedTypeSymbol type) => this.type = type;

        public void Add(AmbientWrite write) => writes.Enqueue(write);

        public void Report(SymbolAnalysisContext context, KnownTypes types)
        {
            if (writes.IsEmpty)
            {
                return;
            }

            var all = writes.ToList();
            if (!all.Any(w => w.IsCandidate))
            {
                return;
            }

            var kept = new List<AmbientWrite>();
            foreach (var write in all.Where(w => w.IsCandidate).OrderBy(w => w.Operation.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal).ThenBy(w => w.Operation.Syntax.SpanStart))
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                switch (write.Value)
                {
                    case AmbientValue.StartedUnguarded:
                        context.ReportDiagnostic(Diagnostic.Create(
                            IsLambda(write.Function) ? Descriptors.CTX101UnsampledActivityInLambda : Descriptors.CTX101CurrentSetToUnsampledActivity,
                            write.Operation.Syntax.GetLocation(),
                            MessageArguments(AmbientOwnership.ValueName(write.Operation), write.Function)));
                        continue;
                    case AmbientValue.StartedGuarded:
                    case AmbientValue.Parameter:
                        continue;
                }

                if (!IsOwnedElsewhere(write, all, types, context.CancellationToken))
                {
                    kept.Add(write);
                }
            }

            // One problem, one diagnostic: consecutive changes of the same store in one block are reported once, on the
            // first, with the others as additional locations (one restore around the first covers them all).
            foreach (var group in kept.GroupBy(w => (w.Function, w.Mutation.Store, w.Slot, Block: w.Operation.Syntax.FirstAncestorOrSelf<StatementSyntax>()?.Parent), GroupKey.Comparer))
            {
                var first = group.First();
                var others = group.Skip(1).Select(w => w.Operation.Syntax.GetLocation()).ToList();
                if (first.Mutation.Store == AmbientStore.RuntimeContextSlot)
                {
                    // A slot has no name of its own: the sentence says 'RuntimeContext slot' and takes only the method.
                    context.ReportDiagnostic(IsLambda(first.Function)
                        ? Diagnostic.Create(Descriptors.CTX101SlotNotRestoredInLambda, first.Operation.Syntax.GetLocation(), others)
                        : Diagnostic.Create(Descriptors.CTX101SlotNotRestored, first.Operation.Syntax.GetLocation(), others, first.Function.Name));
                    continue;
                }

                context.ReportDiagnostic(Diagnostic.Create(
                    IsLambda(first.Function) ? Descriptors.CTX101NotRestoredInLambda : Descriptors.CTX101AmbientContextNotRestored,
                    first.Operation.Syntax.GetLocation(),
                    others,
                    MessageArguments(first.Mutation.Display, first.Function)));
            }
        }

        /// <summary>A lambda has no name: its messages say "the lambda" instead of naming the method.</summary>
        private static bool IsLambda(IMethodSymbol function) => function.MethodKind == MethodKind.AnonymousFunction;

        private static object[] MessageArguments(string what, IMethodSymbol function)
            => IsLambda(function) ? new object[] { what } : new object[] { what, function.Name };

        private bool IsOwnedElsewhere(AmbientWrite write, List<AmbientWrite> all, KnownTypes types, CancellationToken cancellationToken)
        {
            // The caller gets the scope that undoes the change, or the change belongs to a disposable scope object.
            if (AmbientOwnership.ReturnsScope(write.Function, types) || AmbientOwnership.IsScopeConstructor(write.Member, types))
            {
                return true;
            }

            if (AmbientOwnership.IsDiagnosticObserver(type))
            {
                return true;
            }

            if (write.Member is IMethodSymbol member && AmbientOwnership.HasPairedHook(type, member.Name))
            {
                return true;
            }

            // Another member of the type puts a saved value back or clears the store (the end half); a clear is itself the
            // end half when another member sets the store.
            foreach (var other in all)
            {
                if (ReferenceEquals(other, write) || other.IsConfined || SymbolEqualityComparer.Default.Equals(other.Member, write.Member) || !other.SameStore(write))
                {
                    continue;
                }

                // A clear is the end half only in a member that sets no new value of the store after it (a clear before a
                // set is the start of a request, not its end).
                var endHalf = other.Value is AmbientValue.Saved or AmbientValue.Parameter
                    || (other.Value == AmbientValue.Clear && !all.Any(w => SymbolEqualityComparer.Default.Equals(w.Member, other.Member) && w.SameStore(other) && w.Value == AmbientValue.New));
                if (endHalf || (write.Value == AmbientValue.Clear && other.Value == AmbientValue.New))
                {
                    return true;
                }
            }

            return AmbientOwnership.SavesPrevious(write, cancellationToken);
        }

        private sealed class GroupKey : IEqualityComparer<(IMethodSymbol Function, AmbientStore Store, string? Slot, SyntaxNode? Block)>
        {
            public static readonly GroupKey Comparer = new GroupKey();

            public bool Equals((IMethodSymbol Function, AmbientStore Store, string? Slot, SyntaxNode? Block) x, (IMethodSymbol Function, AmbientStore Store, string? Slot, SyntaxNode? Block) y) =>
                SymbolEqualityComparer.Default.Equals(x.Function, y.Function) && x.Store == y.Store && x.Slot == y.Slot && x.Block == y.Block;

            public int GetHashCode((IMethodSymbol Function, AmbientStore Store, string? Slot, SyntaxNode? Block) obj) =>
                (SymbolEqualityComparer.Default.GetHashCode(obj.Function) * 31 + (int)obj.Store) * 31 + (obj.Block?.GetHashCode() ?? 0);
        }
    }

    /// <summary>The value and ownership tests behind <see cref="AmbientWrites"/>.</summary>
    internal static class AmbientOwnership
    {
        private static readonly string[] SavedWords = { "previous", "prev", "parent", "saved", "original", "old", "prior", "outer", "restore", "last", "before" };
        private static readonly string[] SavedParameterWords = { "previous", "prev", "saved", "original", "old", "prior", "restore" };
        private static readonly string[] HolderWords = { "Holder", "Scope", "State", "Snapshot", "Saved", "Previous", "Stack" };

        /// <summary>Begin-hook words and the end-hook words that pair with them.</summary>
        private static readonly (string Begin, string[] End)[] HookPairs =
        {
            ("Begin", new[] { "End" }),
            ("Start", new[] { "Stop", "End", "Finish", "Complete" }),
            ("Starting", new[] { "Stopping", "Ending" }),
            ("Before", new[] { "After" }),
            ("Enter", new[] { "Exit", "Leave" }),
            ("Open", new[] { "Close" }),
            ("Activate", new[] { "Deactivate" }),
            ("Push", new[] { "Pop" }),
            ("Attach", new[] { "Detach" }),
        };

        /// <summary>The slot a <c>RuntimeContext.SetValue</c> writes: its constant name, or the name of the field or local that holds it.</summary>
        public static string? SlotKey(IOperation operation)
        {
            if (operation is not IInvocationOperation { TargetMethod.Name: "SetValue", Arguments.Length: > 0 } invocation)
            {
                return null;
            }

            var slot = Skip(invocation.Arguments[0].Value);
            return slot switch
            {
                { ConstantValue: { HasValue: true, Value: string name } } => name,
                IFieldReferenceOperation field => field.Field.Name,
                ILocalReferenceOperation local => local.Local.Name,
                IPropertyReferenceOperation property => property.Property.Name,
                _ => null,
            };
        }

        /// <summary>The text of the written value, for the message.</summary>
        public static string ValueName(IOperation operation) => operation is ISimpleAssignmentOperation assignment ? assignment.Value.Syntax.ToString() : operation.Syntax.ToString();

        public static AmbientValue ClassifyValue(IOperation operation, AmbientMutation mutation, IMethodSymbol function, KnownTypes types, CancellationToken cancellationToken)
        {
            var value = ClassifyWrittenValue(operation, mutation, function, types, cancellationToken);
            return value == AmbientValue.Parameter && !IsSetterByContract(function) ? AmbientValue.New : value;
        }

        /// <summary>
        /// A method whose contract is to change the ambient value its caller passes: it implements an interface member or
        /// overrides one (an OpenTracing <c>ISpan.SetBaggageItem</c>, a scope manager's <c>Activate</c>), or it is named for
        /// putting a value back (<c>Restore…</c>, <c>Reset…</c>, <c>Revert…</c>).
        /// </summary>
        private static bool IsSetterByContract(IMethodSymbol function)
        {
            if (function.MethodKind != MethodKind.Ordinary && function.MethodKind != MethodKind.ExplicitInterfaceImplementation)
            {
                return false;
            }

            if (function.Name.StartsWith("Restore", StringComparison.Ordinal) || function.Name.StartsWith("Reset", StringComparison.Ordinal) || function.Name.StartsWith("Revert", StringComparison.Ordinal))
            {
                return true;
            }

            if (function.IsOverride || !function.ExplicitInterfaceImplementations.IsEmpty)
            {
                return true;
            }

            var type = function.ContainingType;

            // An interface the compilation cannot resolve yet (half-typed code, a missing reference): a public instance
            // method may implement it, so its contract is unknown; stay silent rather than guess.
            if (function.DeclaredAccessibility == Accessibility.Public && !function.IsStatic
                && type is not null && (type.BaseType?.TypeKind == TypeKind.Error || type.Interfaces.Any(i => i.TypeKind == TypeKind.Error)))
            {
                return true;
            }

            foreach (var implemented in type?.AllInterfaces ?? ImmutableArray<INamedTypeSymbol>.Empty)
            {
                foreach (var member in implemented.GetMembers(function.Name))
                {
                    if (SymbolEqualityComparer.Default.Equals(type!.FindImplementationForInterfaceMember(member), function))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static AmbientValue ClassifyWrittenValue(IOperation operation, AmbientMutation mutation, IMethodSymbol function, KnownTypes types, CancellationToken cancellationToken)
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation assignment:
                    return Classify(assignment.Value, operation, mutation, function, types, 0, cancellationToken);
                case IInvocationOperation { TargetMethod.Name: "ClearBaggage" }:
                    return AmbientValue.Clear;
                case IInvocationOperation { TargetMethod.Name: "SetValue", Arguments.Length: 2 } setValue:
                    return Classify(setValue.Arguments[1].Value, operation, mutation, function, types, 0, cancellationToken);
                case IInvocationOperation { TargetMethod.Name: "WithSpan", Arguments.Length: 1 } withSpan:
                    return Classify(withSpan.Arguments[0].Value, operation, mutation, function, types, 0, cancellationToken);
                case IInvocationOperation invocation:
                    // SetBaggage/RemoveBaggage change the current baggage: never a restore. When every value comes straight
                    // from the parameters, the method is a setter and its caller owns the change.
                    var values = invocation.Arguments.Where(a => a.Parameter?.Name != "baggage" && a.ArgumentKind != ArgumentKind.DefaultValue).ToList();
                    return values.Count > 0 && values.All(a => Skip(a.Value) is IParameterReferenceOperation) ? AmbientValue.Parameter : AmbientValue.New;
                default:
                    return AmbientValue.New;
            }
        }

        private static AmbientValue Classify(IOperation? value, IOperation write, AmbientMutation mutation, IMethodSymbol function, KnownTypes types, int depth, CancellationToken cancellationToken)
        {
            value = Skip(value);
            var store = mutation.Store;
            switch (value)
            {
                case null:
                    return AmbientValue.New;
                case IDefaultValueOperation:
                case ILiteralOperation { ConstantValue: { HasValue: true, Value: null } }:
                    return AmbientValue.Clear;
                case IParameterReferenceOperation parameter:
                    return SavedParameterWords.Any(w => parameter.Parameter.Name.IndexOf(w, StringComparison.OrdinalIgnoreCase) >= 0) ? AmbientValue.Saved : AmbientValue.Parameter;
                case IArrayElementReferenceOperation:
                    return AmbientValue.Saved;
                case IPropertyReferenceOperation property:
                    return ClassifyMember(property.Property, property.Property.IsIndexer, property.Instance, store, types);
                case IFieldReferenceOperation field:
                    return ClassifyMember(field.Field, false, field.Instance, store, types);
                case IInvocationOperation invocation:
                    var name = invocation.TargetMethod.Name;
                    if (name == "GetCustomProperty" || (name == "GetValue" && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, types.RuntimeContext)))
                    {
                        return AmbientValue.Saved;
                    }

                    return AmbientValue.New;
                case ILocalReferenceOperation local:
                    return depth > 2 ? AmbientValue.New : ClassifyLocal(local.Local, write, mutation, function, types, depth, cancellationToken);
                default:
                    return AmbientValue.New;
            }
        }

        private static AmbientValue ClassifyMember(ISymbol member, bool indexer, IOperation? instance, AmbientStore store, KnownTypes types)
        {
            var containing = member.ContainingType;
            if (types.PropagationContext is not null && SymbolEqualityComparer.Default.Equals(containing, types.PropagationContext))
            {
                return AmbientValue.New; // the extracted context: new to this flow
            }

            if (indexer || HasSavedWord(member.Name))
            {
                return AmbientValue.Saved; // an items entry, or a member named for what it keeps
            }

            if (store == AmbientStore.Activity)
            {
                // An activity kept in a field or property (a holder, a request context, activity.Parent) is one that was
                // already running: writing it makes it current again.
                return AmbientValue.Saved;
            }

            // Baggage or a slot value: a member of this type (its saved state) or of a holder; a property of a message or
            // event payload is new context.
            if (instance is null or IInstanceReferenceOperation || HolderWords.Any(w => containing?.Name.IndexOf(w, StringComparison.Ordinal) >= 0))
            {
                return AmbientValue.Saved;
            }

            return AmbientValue.New;
        }

        private static AmbientValue ClassifyLocal(ILocalSymbol local, IOperation write, AmbientMutation mutation, IMethodSymbol function, KnownTypes types, int depth, CancellationToken cancellationToken)
        {
            var model = write.SemanticModel;
            var body = FunctionSyntax(write);
            if (model is null || body is null)
            {
                return AmbientValue.New;
            }

            var reference = local.DeclaringSyntaxReferences.FirstOrDefault();
            var declaration = reference?.GetSyntax(cancellationToken);
            if (declaration is null || declaration.SyntaxTree != write.Syntax.SyntaxTree)
            {
                return AmbientValue.New;
            }

            // Every value the local gets: its initializer and each assignment in the function. A local assigned more than
            // once is a changed copy (read, changed, written back), not a saved value.
            var assigned = new List<ExpressionSyntax>();
            if (declaration is VariableDeclaratorSyntax { Initializer.Value: { } initializer })
            {
                assigned.Add(initializer);
            }
            else if (declaration is SingleVariableDesignationSyntax)
            {
                // A pattern or out variable: unpacked from storage ('items[key] is Activity a', 'TryGetValue(key, out var b)').
                return AmbientValue.Saved;
            }
            else if (declaration is not VariableDeclaratorSyntax)
            {
                return AmbientValue.New; // foreach variable, catch variable, ...
            }

            foreach (var node in body.DescendantNodes())
            {
                if (node is AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment
                    && name.Identifier.ValueText == local.Name
                    && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, local))
                {
                    if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
                    {
                        return AmbientValue.New;
                    }

                    assigned.Add(assignment.Right);
                }
                else if (node is ArgumentSyntax { RefKindKeyword.RawKind: not 0, Expression: IdentifierNameSyntax refName }
                    && refName.Identifier.ValueText == local.Name)
                {
                    return AmbientValue.New;
                }
            }

            if (assigned.Count != 1)
            {
                return AmbientValue.New;
            }

            var value = Skip(model.GetOperation(assigned[0], cancellationToken));
            if (ReadsStore(value, mutation, types))
            {
                return AmbientValue.SavedLocal;
            }

            if (IsNonNullStart(value, types))
            {
                return AmbientValue.StartedGuarded;
            }

            if (IsStart(value, types))
            {
                return IsGuarded(write, local.Name, body) ? AmbientValue.StartedGuarded : AmbientValue.StartedUnguarded;
            }

            return Classify(value, write, mutation, function, types, depth + 1, cancellationToken);
        }

        /// <summary>A call that starts an activity and returns it (or null when nobody samples it).</summary>
        private static bool IsStart(IOperation? value, KnownTypes types) => value is IInvocationOperation { TargetMethod: { Name: "StartActivity" } method }
            && types.ActivitySource is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.ActivitySource);

        /// <summary><c>new Activity(..).Start()</c>: never null.</summary>
        private static bool IsNonNullStart(IOperation? value, KnownTypes types) => value is IInvocationOperation { TargetMethod: { Name: "Start" } method }
            && types.Activity is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.Activity);

        /// <summary>
        /// The write of a started activity runs only when it is not null (an enclosing <c>if</c> tests it, or an earlier
        /// statement leaves when it is null), or the method cleared <c>Activity.Current</c> before, so writing null
        /// loses nothing.
        /// </summary>
        private static bool IsGuarded(IOperation write, string name, SyntaxNode body)
        {
            var writeStart = write.Syntax.SpanStart;
            foreach (var node in body.DescendantNodes())
            {
                if (node.SpanStart >= writeStart)
                {
                    break;
                }

                if (node is AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current", Expression: var receiver }, Right: var right }
                    && LastName(receiver) == "Activity" && right.IsKind(SyntaxKind.NullLiteralExpression))
                {
                    return true;
                }
            }

            SyntaxNode child = write.Syntax;
            for (var parent = child.Parent; parent is not null && parent != body.Parent; child = parent, parent = parent.Parent)
            {
                if (parent is IfStatementSyntax ifStatement && ifStatement.Statement == child && TestsNotNull(ifStatement.Condition, name))
                {
                    return true;
                }

                if (parent is BlockSyntax block && child is StatementSyntax statement)
                {
                    foreach (var before in block.Statements.TakeWhile(s => s != statement))
                    {
                        if (before is IfStatementSyntax { Statement: var then } earlier
                            && TestsNull(earlier.Condition, name)
                            && (then is ReturnStatementSyntax or ThrowStatementSyntax or ContinueStatementSyntax or BreakStatementSyntax
                                || then is BlockSyntax { Statements: { Count: > 0 } thenStatements } && thenStatements.Last() is ReturnStatementSyntax or ThrowStatementSyntax or ContinueStatementSyntax or BreakStatementSyntax))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        private static bool TestsNotNull(ExpressionSyntax condition, string name)
        {
            var text = Compact(condition);
            return text.Contains(name + "!=null") || text.Contains(name + "isnotnull") || text.Contains(name + "is{") || text.Contains(name + "isActivity")
                || text.Contains("null!=" + name);
        }

        private static bool TestsNull(ExpressionSyntax condition, string name)
        {
            var text = Compact(condition);
            return text == name + "==null" || text == name + "isnull" || text == "null==" + name || text == name + "isnot{}" || text == "!(" + name + "is{})";
        }

        private static string Compact(SyntaxNode node)
        {
            var text = node.ToString();
            var chars = new char[text.Length];
            var n = 0;
            foreach (var c in text)
            {
                if (!char.IsWhiteSpace(c))
                {
                    chars[n++] = c;
                }
            }

            return new string(chars, 0, n);
        }

        private static bool ReadsStore(IOperation? operation, AmbientMutation mutation, KnownTypes types)
        {
            var store = mutation.Store;
            if (mutation.Member is { } member)
            {
                return member.IsAccess(operation);
            }

            switch (Skip(operation))
            {
                case IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } property }:
                    return store == AmbientStore.Activity && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Activity)
                        || store == AmbientStore.Baggage && SymbolEqualityComparer.Default.Equals(property.ContainingType, types.Baggage);
                case IInvocationOperation { TargetMethod: { Name: "GetValue", IsStatic: true } method }:
                    return store != AmbientStore.Activity && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.RuntimeContext);
                default:
                    return false;
            }
        }

        private static IOperation? Skip(IOperation? operation)
        {
            while (true)
            {
                switch (operation)
                {
                    case IConversionOperation conversion:
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

        private static bool HasSavedWord(string name)
        {
            foreach (var word in SavedWords)
            {
                if (name.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The body syntax of the innermost function around the operation.</summary>
        private static SyntaxNode? FunctionSyntax(IOperation operation) =>
            operation.Syntax.FirstAncestorOrSelf<SyntaxNode>(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or CompilationUnitSyntax);

        /// <summary>Main, top-level statements, and the static methods of the type that declares Main.</summary>
        public static bool IsStartupCode(IMethodSymbol function, ISymbol containingSymbol)
        {
            if (function.MethodKind != MethodKind.Ordinary || !function.IsStatic)
            {
                return false;
            }

            if (function.Name == "Main" || function.Name == WellKnownMemberNames.TopLevelStatementsEntryPointMethodName)
            {
                return true;
            }

            var type = function.ContainingType;
            return type is not null && type.GetMembers("Main").Any(m => m is IMethodSymbol { IsStatic: true });
        }

        /// <summary>The function returns a disposable: the scope that undoes its change is the caller's to dispose.</summary>
        public static bool ReturnsScope(IMethodSymbol function, KnownTypes types)
        {
            var returned = function.ReturnType as INamedTypeSymbol;
            if (returned is { IsGenericType: true, TypeArguments.Length: 1, Name: "Task" or "ValueTask" })
            {
                returned = returned.TypeArguments[0] as INamedTypeSymbol; // an async method that returns a scope
            }
            else if (returned is { Name: "Task" or "ValueTask" })
            {
                return false;
            }

            if (returned is null || returned.SpecialType == SpecialType.System_Void || types.IDisposable is null)
            {
                return false;
            }

            return SymbolEqualityComparer.Default.Equals(returned, types.IDisposable)
                || returned.AllInterfaces.Contains(types.IDisposable, SymbolEqualityComparer.Default);
        }

        /// <summary>A constructor of a disposable type: the change belongs to the scope object.</summary>
        public static bool IsScopeConstructor(ISymbol member, KnownTypes types) =>
            member is IMethodSymbol { MethodKind: MethodKind.Constructor, ContainingType: { } type }
            && types.IDisposable is not null
            && type.AllInterfaces.Contains(types.IDisposable, SymbolEqualityComparer.Default);

        /// <summary>A DiagnosticListener observer (<c>IObserver&lt;KeyValuePair&lt;string, object&gt;&gt;</c>): its events come in begin/end pairs.</summary>
        public static bool IsDiagnosticObserver(INamedTypeSymbol type)
        {
            foreach (var implemented in type.AllInterfaces)
            {
                if (implemented is { Name: "IObserver", TypeArguments.Length: 1 } observer
                    && observer.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true }
                    && observer.TypeArguments[0] is INamedTypeSymbol { Name: "KeyValuePair", TypeArguments.Length: 2 } pair
                    && pair.TypeArguments[0].SpecialType == SpecialType.System_String)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The member is a begin hook whose end hook is in the type or a base type: a word of its name has an end
        /// counterpart (<c>BeginRequest</c>/<c>EndRequest</c>, <c>OnStartActivity</c>/<c>OnStopActivity</c>), or its last
        /// word ends in -ing and the -ed form exists (<c>OnPerforming</c>/<c>OnPerformed</c>, <c>OnActionExecuting</c>/<c>OnActionExecuted</c>).
        /// </summary>
        public static bool HasPairedHook(INamedTypeSymbol type, string name)
        {
            var words = SplitWords(name);
            if (words.Count == 0)
            {
                return false;
            }

            for (var i = 0; i < words.Count; i++)
            {
                foreach (var (begin, ends) in HookPairs)
                {
                    if (!string.Equals(words[i], begin, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    foreach (var end in ends)
                    {
                        if (HasMember(type, Replace(words, i, end)))
                        {
                            return true;
                        }
                    }
                }
            }

            var last = words[words.Count - 1];
            return last.Length > 4 && last.EndsWith("ing", StringComparison.Ordinal)
                && HasMember(type, Replace(words, words.Count - 1, last.Substring(0, last.Length - 3) + "ed"));
        }

        private static bool HasMember(INamedTypeSymbol type, string name)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (current.GetMembers(name).Any(m => m is IMethodSymbol))
                {
                    return true;
                }
            }

            return false;
        }

        private static string Replace(List<string> words, int index, string word)
        {
            var copy = new List<string>(words) { [index] = word };
            return string.Concat(copy);
        }

        private static List<string> SplitWords(string name)
        {
            var words = new List<string>();
            var start = 0;
            for (var i = 1; i <= name.Length; i++)
            {
                if (i == name.Length || char.IsUpper(name[i]) || name[i] == '_')
                {
                    if (i > start)
                    {
                        words.Add(name.Substring(start, i - start));
                    }

                    start = i;
                }
            }

            return words;
        }

        /// <summary>
        /// The member that makes the change also saves the store's current value where something else finds it: a field,
        /// a property or an items entry (<c>context.Items[key] = Baggage.Current</c>), for the end hook to put back.
        /// </summary>
        public static bool SavesPrevious(AmbientWrite write, CancellationToken cancellationToken)
        {
            var model = write.Operation.SemanticModel;
            var body = write.Operation.Syntax.FirstAncestorOrSelf<SyntaxNode>(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or CompilationUnitSyntax);
            if (model is null || body is null)
            {
                return false;
            }

            foreach (var node in body.DescendantNodes())
            {
                if (node is not AssignmentExpressionSyntax { Left: var left, Right: var right } || !ReadsStoreSyntax(right, write.Mutation))
                {
                    continue;
                }

                if (left is ElementAccessExpressionSyntax || (left is MemberAccessExpressionSyntax && model.GetSymbolInfo(left, cancellationToken).Symbol is IFieldSymbol or IPropertySymbol)
                    || (left is IdentifierNameSyntax && model.GetSymbolInfo(left, cancellationToken).Symbol is IFieldSymbol or IPropertySymbol))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The expression is a read of the store, or creates a holder from one (<c>new Holder(Activity.Current)</c>).</summary>
        private static bool ReadsStoreSyntax(ExpressionSyntax expression, AmbientMutation mutation)
        {
            var store = mutation.Store;
            if (mutation.Member is { } member)
            {
                expression = Unwrap(expression);
                return expression is BaseObjectCreationExpressionSyntax { ArgumentList: { } holder }
                    ? holder.Arguments.Any(a => member.IsAccessSyntax(Unwrap(a.Expression)))
                    : member.IsAccessSyntax(expression);
            }

            expression = Unwrap(expression);
            if (expression is BaseObjectCreationExpressionSyntax { ArgumentList: { } arguments })
            {
                return arguments.Arguments.Any(a => IsStoreRead(Unwrap(a.Expression), store));
            }

            return IsStoreRead(expression, store);
        }

        private static bool IsStoreRead(ExpressionSyntax expression, AmbientStore store) => expression switch
        {
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Current", Expression: var receiver } =>
                (store == AmbientStore.Activity && LastName(receiver) == "Activity") || (store == AmbientStore.Baggage && LastName(receiver) == "Baggage"),
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetValue", Expression: var owner } } =>
                store != AmbientStore.Activity && LastName(owner) == "RuntimeContext",
            _ => false,
        };

        private static ExpressionSyntax Unwrap(ExpressionSyntax expression)
        {
            while (true)
            {
                switch (expression)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case CastExpressionSyntax cast:
                        expression = cast.Expression;
                        continue;
                    case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang:
                        expression = bang.Operand;
                        continue;
                    case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AsExpression } asExpression:
                        expression = asExpression.Left;
                        continue;
                    default:
                        return expression;
                }
            }
        }

        /// <summary>The last simple name of a receiver (<c>Activity</c> in <c>System.Diagnostics.Activity</c>), for the syntactic store tests.</summary>
        internal static string? LastName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            _ => null,
        };
    }
}
