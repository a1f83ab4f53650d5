using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Flow
{
    /// <summary>
    /// A team's own ambient context member: a static <c>AsyncLocal&lt;T&gt;</c> field, or a static settable property (a
    /// wrapper of such a field, or a member the team declared). Writes of it get the checks of <c>Activity.Current</c>.
    /// </summary>
    internal sealed class AmbientMember
    {
        public AmbientMember(ISymbol symbol, string key, ITypeSymbol valueType, bool isAsyncLocalField, bool isPureWrite, string? fieldName, ImmutableArray<string> propertyNames)
        {
            Symbol = symbol;
            Key = key;
            ValueType = valueType;
            IsAsyncLocalField = isAsyncLocalField;
            IsPureWrite = isPureWrite;
            FieldName = fieldName;
            PropertyNames = propertyNames;
        }

        /// <summary>The field or property.</summary>
        public ISymbol Symbol { get; }

        /// <summary>What identifies the store: the wrapped field's documentation ID for a wrapper and its field, else the member's own.</summary>
        public string Key { get; }

        /// <summary>The type of the value the member holds (<c>T</c> of <c>AsyncLocal&lt;T&gt;</c>, or the property type).</summary>
        public ITypeSymbol ValueType { get; }

        /// <summary>A static <c>AsyncLocal&lt;T&gt;</c> field: written through <c>.Value</c>.</summary>
        public bool IsAsyncLocalField { get; }

        /// <summary>A write changes the ambient value and nothing else (a field, or a wrapper whose setter only writes its field).</summary>
        public bool IsPureWrite { get; }

        /// <summary>The AsyncLocal&lt;T&gt; field of the store (written as <c>field.Value</c>), if it has one.</summary>
        public string? FieldName { get; }

        /// <summary>The static properties the same store is written through (the member itself, or the field's wrappers).</summary>
        public ImmutableArray<string> PropertyNames { get; }

        /// <summary>What a message calls it: <c>TenantContext.Current</c>.</summary>
        public string Display => Symbol.ContainingType is { } type ? type.Name + "." + Symbol.Name : Symbol.Name;

        /// <summary>
        /// <paramref name="operation"/> reads or (as an assignment target) writes this member's store: <c>field.Value</c> of
        /// its AsyncLocal field, or one of its static properties.
        /// </summary>
        public bool IsAccess(IOperation? operation)
        {
            while (operation is IConversionOperation or IParenthesizedOperation)
            {
                operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
            }

            switch (operation)
            {
                case IPropertyReferenceOperation { Property: { Name: "Value", IsStatic: false }, Instance: IFieldReferenceOperation field }:
                    return FieldName is not null && field.Field.IsStatic && field.Field.Name == FieldName && InDeclaringType(field.Field);
                case IPropertyReferenceOperation { Property.IsStatic: true } property:
                    return PropertyNames.Contains(property.Property.Name) && InDeclaringType(property.Property);
                default:
                    return false;
            }
        }

        /// <summary>The syntactic form of <see cref="IsAccess"/>, for code that is not bound (another member's body): <c>X.Current</c>, <c>s_current.Value</c>.</summary>
        public bool IsAccessSyntax(ExpressionSyntax expression)
        {
            switch (expression)
            {
                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Value", Expression: var receiver } when FieldName is not null && AmbientOwnership.LastName(receiver) == FieldName:
                    return true;
                case MemberAccessExpressionSyntax access:
                    return PropertyNames.Contains(access.Name.Identifier.ValueText);
                case IdentifierNameSyntax identifier:
                    return PropertyNames.Contains(identifier.Identifier.ValueText);
                default:
                    return false;
            }
        }

        private bool InDeclaringType(ISymbol symbol)
            => SymbolEqualityComparer.Default.Equals(symbol.ContainingType?.OriginalDefinition, Symbol.ContainingType?.OriginalDefinition);
    }

    /// <summary>
    /// The team's ambient members that apply to one file: found in the compilation's source (static <c>AsyncLocal&lt;T&gt;</c>
    /// fields and the static properties that wrap them), declared with <c>[AmbientContext]</c> (in source or in a
    /// referenced assembly that references ContextAnalyzers.Runtime), and listed in <c>ctx_analyzers.ambient_members</c>.
    /// </summary>
    internal sealed class AmbientSet
    {
        public static readonly AmbientSet Empty = new AmbientSet(ImmutableDictionary<ISymbol, AmbientMember>.Empty.WithComparers(SymbolEqualityComparer.Default), ImmutableArray<OptionError>.Empty);

        private readonly ImmutableDictionary<ISymbol, AmbientMember> members;
        private readonly string[] names;
        private readonly ConcurrentDictionary<SyntaxTree, int[]> positions = new ConcurrentDictionary<SyntaxTree, int[]>();
        private HashSet<ITypeSymbol>? contextTypes;

        public AmbientSet(ImmutableDictionary<ISymbol, AmbientMember> members, ImmutableArray<OptionError> errors)
        {
            this.members = members;
            Errors = errors;
            names = members.Values.SelectMany(m => m.PropertyNames.Add(m.FieldName ?? m.Symbol.Name)).Distinct(StringComparer.Ordinal).ToArray();
        }

        public bool IsEmpty => members.IsEmpty;

        /// <summary>The invalid entries of the option (CTX399).</summary>
        public ImmutableArray<OptionError> Errors { get; }

        public IEnumerable<AmbientMember> Members => members.Values;

        public AmbientSet WithMembers(IEnumerable<AmbientMember> added, ImmutableArray<OptionError> errors)
        {
            var builder = members.ToBuilder();
            foreach (var member in added)
            {
                if (!builder.ContainsKey(member.Symbol))
                {
                    builder.Add(member.Symbol, member);
                }
            }

            return new AmbientSet(builder.ToImmutable(), errors);
        }

        /// <summary>
        /// The value type of one of the set's members, when it is a type the team wrote (not a special type, not a type of
        /// the framework: an <c>AsyncLocal&lt;bool&gt;</c> reentrancy flag makes no <c>bool</c> a context type).
        /// </summary>
        public bool IsContextType(ITypeSymbol type)
        {
            if (IsEmpty || type is not INamedTypeSymbol { SpecialType: SpecialType.None, TypeKind: TypeKind.Class or TypeKind.Struct or TypeKind.Interface or TypeKind.Enum })
            {
                return false;
            }

            var contextTypes = LazyInitializer.EnsureInitialized(ref this.contextTypes, () => new HashSet<ITypeSymbol>(
                members.Values.Select(m => m.ValueType.OriginalDefinition).Where(t => t is INamedTypeSymbol { SpecialType: SpecialType.None } && !IsFrameworkType(t)),
                SymbolEqualityComparer.Default))!;
            return contextTypes.Contains(type.OriginalDefinition);
        }

        private static bool IsFrameworkType(ITypeSymbol type)
            => type.ContainingAssembly?.Name is { } name
               && (name == "mscorlib" || name == "netstandard" || name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft", StringComparison.Ordinal));

        public AmbientMember? Find(ISymbol? symbol) => symbol is not null && members.TryGetValue(symbol.OriginalDefinition, out var member) ? member : null;

        /// <summary>The member <paramref name="operation"/> writes: <c>field.Value = x</c> or <c>Wrapper.Current = x</c>.</summary>
        public AmbientMember? WriteOf(IOperation? operation)
            => operation is ISimpleAssignmentOperation assignment ? Target(assignment.Target) : null;

        /// <summary>The member <paramref name="operation"/> reads (<c>field.Value</c>, <c>Wrapper.Current</c>), if any.</summary>
        public AmbientMember? ReadOf(IOperation? operation)
        {
            while (operation is IConversionOperation or IParenthesizedOperation)
            {
                operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
            }

            return Target(operation);
        }

        private AmbientMember? Target(IOperation? target)
        {
            if (IsEmpty)
            {
                return null;
            }

            switch (target)
            {
                case IPropertyReferenceOperation { Property: { Name: "Value", IsStatic: false }, Instance: IFieldReferenceOperation { Field.IsStatic: true } field }:
                    return Find(field.Field) is { IsAsyncLocalField: true } byField ? byField : null;
                case IPropertyReferenceOperation { Property.IsStatic: true } property:
                    return Find(property.Property) is { IsAsyncLocalField: false } byProperty ? byProperty : null;
                default:
                    return null;
            }
        }

        /// <summary>
        /// True when the text of <paramref name="blocks"/> spells a name a write of the set goes through: bodies that spell
        /// none of them cost one binary search per body (the positions are found once per file).
        /// </summary>
        public bool NamedIn(ImmutableArray<IOperation> blocks, CancellationToken cancellationToken)
        {
            if (IsEmpty)
            {
                return false;
            }

            foreach (var block in blocks)
            {
                var span = block.Syntax.Span;
                var found = positions.GetOrAdd(block.Syntax.SyntaxTree, tree => Positions(tree, cancellationToken));
                if (found.Length == 1 && found[0] < 0)
                {
                    return true; // a Unicode escape may spell any name
                }

                var i = Array.BinarySearch(found, span.Start);
                if (i < 0)
                {
                    i = ~i;
                }

                if (i < found.Length && found[i] < span.End)
                {
                    return true;
                }
            }

            return false;
        }

        private int[] Positions(SyntaxTree tree, CancellationToken cancellationToken)
        {
            var text = tree.GetText(cancellationToken).ToString();
            if (text.IndexOf("\\u", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return new[] { -1 };
            }

            var found = new List<int>();
            foreach (var name in names)
            {
                for (var at = text.IndexOf(name, StringComparison.Ordinal); at >= 0; at = text.IndexOf(name, at + name.Length, StringComparison.Ordinal))
                {
                    var end = at + name.Length;
                    if ((at == 0 || !IsIdentifierPart(text[at - 1])) && (end == text.Length || !IsIdentifierPart(text[end])))
                    {
                        found.Add(at);
                    }
                }
            }

            found.Sort();
            return found.ToArray();
        }

        private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '@';

        /// <summary>The write is in the accessor of a wrapper property of the same store, or in a static constructor: the implementation.</summary>
        public static bool IsImplementation(ISymbol containingSymbol, AmbientMember member)
        {
            if (containingSymbol is IMethodSymbol { MethodKind: MethodKind.StaticConstructor })
            {
                return true;
            }

            return containingSymbol is IMethodSymbol { AssociatedSymbol: IPropertySymbol { IsStatic: true } property }
                && SymbolEqualityComparer.Default.Equals(property.ContainingType, member.Symbol.ContainingType);
        }

        /// <summary>
        /// The write is in a static method of the member's declaring type: the member's own API (<c>TenantContext.Set(t)</c>,
        /// <c>LogContext.ConfigureCurrentLogContext()</c>), whose purpose is to change the context for its caller.
        /// </summary>
        public static bool IsDeclaringTypeApi(ISymbol containingSymbol, AmbientMember member)
            => containingSymbol is IMethodSymbol { IsStatic: true } method
               && SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, member.Symbol.ContainingType?.OriginalDefinition);
    }

    /// <summary>
    /// Resolves the team's ambient members once per compilation (and once per distinct value of
    /// <c>ctx_analyzers.ambient_members</c>): a compilation whose files spell neither <c>AsyncLocal</c> nor
    /// <c>AmbientContext</c>, references no assembly built against ContextAnalyzers.Runtime and sets no option has none,
    /// and the rules register nothing for them.
    /// </summary>
    internal sealed class AmbientMembers
    {
        /// <summary>Comma-separated documentation IDs: <c>P:</c> a static settable property, <c>F:</c> a static field, <c>T:</c> every static settable member of a type.</summary>
        public const string MembersOption = "ctx_analyzers.ambient_members";

        private const string AttributeName = "AmbientContextAttribute";
        private const string RuntimeAssembly = "ContextAnalyzers.Runtime";

        private static readonly ConditionalWeakTable<Compilation, AmbientMembers> Cache = new ConditionalWeakTable<Compilation, AmbientMembers>();

        private readonly Compilation compilation;
        private readonly KnownTypes types;
        private readonly object gate = new object();
        private readonly ConcurrentDictionary<string, AmbientSet> byValue = new ConcurrentDictionary<string, AmbientSet>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<SyntaxTree, AmbientSet> byTree = new ConcurrentDictionary<SyntaxTree, AmbientSet>();
        private readonly ConcurrentDictionary<string, SyntaxTree?> firstTree = new ConcurrentDictionary<string, SyntaxTree?>(StringComparer.Ordinal);
        private AmbientSet? detected;
        private int anyOption;

        private AmbientMembers(Compilation compilation)
        {
            this.compilation = compilation;
            types = KnownTypes.Get(compilation);
        }

        public static AmbientMembers Get(Compilation compilation) => Cache.GetValue(compilation, c => new AmbientMembers(c));

        /// <summary>True when some file may have an ambient member: one was found or declared, or some file sets the option.</summary>
        public bool MayHaveMembers(AnalyzerOptions options, CancellationToken cancellationToken)
        {
            if (!Detected(cancellationToken).IsEmpty)
            {
                return true;
            }

            var known = Volatile.Read(ref anyOption);
            if (known == 0)
            {
                known = compilation.SyntaxTrees.Any(t => OptionValue(t, options) is not null) ? 2 : 1;
                Volatile.Write(ref anyOption, known);
            }

            return known == 2;
        }

        /// <summary>The members that apply to the block's file, when the block spells a name one of them is written through; else null.</summary>
        public AmbientSet? NamedIn(ImmutableArray<IOperation> blocks, AnalyzerOptions options, CancellationToken cancellationToken)
        {
            if (blocks.IsEmpty)
            {
                return null;
            }

            var set = For(blocks[0].Syntax.SyntaxTree, options, cancellationToken);
            return set.NamedIn(blocks, cancellationToken) ? set : null;
        }

        /// <summary>The members that apply to <paramref name="tree"/>.</summary>
        public AmbientSet For(SyntaxTree tree, AnalyzerOptions? options, CancellationToken cancellationToken)
        {
            if (byTree.TryGetValue(tree, out var cached))
            {
                return cached;
            }

            var value = options is null ? null : OptionValue(tree, options);
            var set = value is null
                ? Detected(cancellationToken)
                : byValue.GetOrAdd(value, v => Declared(v, cancellationToken));
            return byTree.GetOrAdd(tree, set);
        }

        /// <summary>
        /// True when <paramref name="tree"/> is the first file of the compilation whose option value is the one
        /// <paramref name="tree"/> has: the file where that value's invalid entries are reported, once.
        /// </summary>
        public bool IsFirstFileOfItsOption(SyntaxTree tree, AnalyzerOptions options)
        {
            var value = OptionValue(tree, options);
            if (value is null)
            {
                return false;
            }

            var first = firstTree.GetOrAdd(value, v => compilation.SyntaxTrees.FirstOrDefault(t => OptionValue(t, options) == v));
            return first == tree;
        }

        private static string? OptionValue(SyntaxTree tree, AnalyzerOptions options)
            => options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(MembersOption, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

        // ------------------------------------------------------------------ found in source and declared by attribute

        private AmbientSet Detected(CancellationToken cancellationToken)
        {
            var set = Volatile.Read(ref detected);
            if (set is not null)
            {
                return set;
            }

            lock (gate)
            {
                set = detected ?? Detect(cancellationToken);
                Volatile.Write(ref detected, set);
                return set;
            }
        }

        private AmbientSet Detect(CancellationToken cancellationToken)
        {
            var found = new List<ISymbol>();
            if (types.AsyncLocal is not null)
            {
                foreach (var tree in compilation.SyntaxTrees)
                {
                    var mentions = NameIndex.Mentions(tree, cancellationToken);
                    if ((mentions & AnchorWords.Ambient) == 0)
                    {
                        continue;
                    }

                    SemanticModel? model = null;
                    foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax or MemberDeclarationSyntax or AttributeListSyntax))
                    {
                        switch (node)
                        {
                            // A static AsyncLocal<T> field of the compilation (an instance field is one object's state).
                            case FieldDeclarationSyntax field when field.Modifiers.Any(SyntaxKind.StaticKeyword) && field.Declaration.Type.ToString().Contains("AsyncLocal"):
                                model ??= compilation.GetSemanticModel(tree);
                                foreach (var variable in field.Declaration.Variables)
                                {
                                    if (model.GetDeclaredSymbol(variable, cancellationToken) is IFieldSymbol symbol && IsAsyncLocal(symbol.Type))
                                    {
                                        found.Add(symbol);
                                    }
                                }

                                break;
                            case AttributeSyntax attribute when AmbientOwnership.LastName(attribute.Name) is "AmbientContext" or AttributeName:
                                model ??= compilation.GetSemanticModel(tree);
                                var declaration = attribute.Parent?.Parent;
                                var declared = declaration is FieldDeclarationSyntax { Declaration.Variables: { Count: > 0 } variables }
                                    ? model.GetDeclaredSymbol(variables[0], cancellationToken)
                                    : declaration is null ? null : model.GetDeclaredSymbol(declaration, cancellationToken);
                                if (declared is not null && HasAttribute(declared))
                                {
                                    found.AddRange(Expand(declared));
                                }

                                break;
                        }
                    }
                }
            }

            if (compilation.ReferencedAssemblyNames.Any(a => a.Name == RuntimeAssembly))
            {
                foreach (var reference in compilation.References)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (compilation.GetAssemblyOrModuleSymbol(reference) is IAssemblySymbol assembly
                        && assembly.Name != RuntimeAssembly
                        && assembly.Modules.Any(m => m.ReferencedAssemblies.Any(a => a.Name == RuntimeAssembly)))
                    {
                        CollectAttributed(assembly.GlobalNamespace, found, cancellationToken);
                    }
                }
            }

            return found.Count == 0 ? AmbientSet.Empty : AmbientSet.Empty.WithMembers(Build(found, cancellationToken), ImmutableArray<OptionError>.Empty);
        }

        private void CollectAttributed(INamespaceOrTypeSymbol container, List<ISymbol> found, CancellationToken cancellationToken)
        {
            foreach (var member in container.GetMembers())
            {
                if (member is INamespaceSymbol ns)
                {
                    CollectAttributed(ns, found, cancellationToken);
                }
                else if (member is INamedTypeSymbol type && type.DeclaredAccessibility == Accessibility.Public)
                {
                    if (HasAttribute(type))
                    {
                        found.AddRange(Expand(type));
                        continue;
                    }

                    foreach (var inner in type.GetMembers())
                    {
                        if (inner is IPropertySymbol or IFieldSymbol && inner.IsStatic && HasAttribute(inner))
                        {
                            found.Add(inner);
                        }
                    }
                }
            }
        }

        private static bool HasAttribute(ISymbol symbol)
            => symbol.GetAttributes().Any(a => a.AttributeClass is { Name: AttributeName, ContainingNamespace: { Name: "Runtime", ContainingNamespace: { Name: "ContextAnalyzers", ContainingNamespace.IsGlobalNamespace: true } } });

        /// <summary>A type stands for its static settable properties and static AsyncLocal&lt;T&gt; fields; a member for itself.</summary>
        private IEnumerable<ISymbol> Expand(ISymbol declared)
        {
            if (declared is not INamedTypeSymbol type)
            {
                return new[] { declared };
            }

            return type.GetMembers().Where(m => IsSettableProperty(m) || (m is IFieldSymbol { IsStatic: true } f && IsAsyncLocal(f.Type)));
        }

        private static bool IsSettableProperty(ISymbol member)
            => member is IPropertySymbol { IsStatic: true, IsIndexer: false, SetMethod: not null };

        private bool IsAsyncLocal(ITypeSymbol type)
            => types.AsyncLocal is not null && type is INamedTypeSymbol { IsGenericType: true } named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, types.AsyncLocal);

        private bool IsThreadLocalStorage(IFieldSymbol field)
            => (types.ThreadLocal is not null && field.Type is INamedTypeSymbol { IsGenericType: true } named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, types.ThreadLocal))
               || (types.ThreadStaticAttribute is not null && field.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, types.ThreadStaticAttribute)));

        /// <summary>Thread-local members declared ambient (CTX203 reports them); they are not AsyncLocal writes.</summary>
        public bool IsDeclaredThreadLocal(IFieldSymbol field, AmbientSet set) => set.Find(field) is not null && IsThreadLocalStorage(field);

        /// <summary>
        /// Makes the members: a source property whose setter writes a static AsyncLocal&lt;T&gt; field's <c>Value</c> wraps it
        /// (the field's wrappers in its type are found too, so that a write through the wrapper and a restore through the
        /// field are one store).
        /// </summary>
        private IEnumerable<AmbientMember> Build(List<ISymbol> symbols, CancellationToken cancellationToken)
        {
            var all = new HashSet<ISymbol>(symbols.Select(s => s.OriginalDefinition), SymbolEqualityComparer.Default);
            var wrapped = new Dictionary<ISymbol, IFieldSymbol>(SymbolEqualityComparer.Default);
            var pure = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var field in all.OfType<IFieldSymbol>().Where(f => IsAsyncLocal(f.Type)).ToList())
            {
                foreach (var member in field.ContainingType.GetMembers())
                {
                    if (IsSettableProperty(member) && WrapsField((IPropertySymbol)member, field, out var isPure, cancellationToken))
                    {
                        all.Add(member);
                        wrapped[member] = field;
                        if (isPure)
                        {
                            pure.Add(member);
                        }
                    }
                }
            }

            // A declared source property may wrap a static AsyncLocal field that no file names as AsyncLocal<T> (an alias).
            foreach (var property in all.OfType<IPropertySymbol>().Where(p => !wrapped.ContainsKey(p)).ToList())
            {
                foreach (var field in property.ContainingType.GetMembers().OfType<IFieldSymbol>().Where(f => f.IsStatic && IsAsyncLocal(f.Type)))
                {
                    if (WrapsField(property, field, out var isPure, cancellationToken))
                    {
                        wrapped[property] = field;
                        all.Add(field);
                        if (isPure)
                        {
                            pure.Add(property);
                        }

                        break;
                    }
                }
            }

            foreach (var symbol in all)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var store = symbol is IPropertySymbol && wrapped.TryGetValue(symbol, out var f) ? f : symbol;
                var fieldName = store is IFieldSymbol storeField && IsAsyncLocal(storeField.Type) ? store.Name : null;
                var properties = store is IPropertySymbol
                    ? ImmutableArray.Create(store.Name)
                    : wrapped.Where(kv => SymbolEqualityComparer.Default.Equals(kv.Value, store)).Select(kv => kv.Key.Name).Distinct().ToImmutableArray();
                var key = store.GetDocumentationCommentId() ?? store.ToDisplayString();
                switch (symbol)
                {
                    case IFieldSymbol field when IsAsyncLocal(field.Type):
                        yield return new AmbientMember(field, key, ((INamedTypeSymbol)field.Type).TypeArguments[0], isAsyncLocalField: true, isPureWrite: true, fieldName, properties);
                        break;
                    case IFieldSymbol field:
                        // A thread-local field declared ambient: CTX203's business.
                        yield return new AmbientMember(field, key, field.Type, isAsyncLocalField: false, isPureWrite: false, null, ImmutableArray<string>.Empty);
                        break;
                    case IPropertySymbol property:
                        yield return new AmbientMember(property, key, property.Type, isAsyncLocalField: false, isPureWrite: pure.Contains(property), fieldName, properties);
                        break;
                }
            }
        }

        /// <summary>The property's setter (in source) assigns <c>field.Value</c>; pure when that is all it does, from <c>value</c>.</summary>
        private bool WrapsField(IPropertySymbol property, IFieldSymbol field, out bool isPure, CancellationToken cancellationToken)
        {
            isPure = false;
            var setter = property.SetMethod;
            if (setter is null || setter.DeclaringSyntaxReferences.Length != 1 || !SymbolEqualityComparer.Default.Equals(property.ContainingType, field.ContainingType))
            {
                return false;
            }

            var syntax = setter.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            var assignments = syntax.DescendantNodes().OfType<AssignmentExpressionSyntax>().ToList();
            var writes = assignments.Where(a => a.Left is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Value", Expression: var receiver } && AmbientOwnership.LastName(receiver) == field.Name).ToList();
            if (writes.Count == 0)
            {
                return false;
            }

            isPure = assignments.Count == 1 && writes[0].Right is IdentifierNameSyntax { Identifier.ValueText: "value" }
                && syntax is AccessorDeclarationSyntax accessor
                && (accessor.ExpressionBody is not null || accessor.Body?.Statements.Count == 1);
            return true;
        }

        // ------------------------------------------------------------------ declared in the option

        private AmbientSet Declared(string value, CancellationToken cancellationToken)
        {
            var errors = ImmutableArray.CreateBuilder<OptionError>();
            var symbols = new List<ISymbol>();
            foreach (var raw in value.Split(','))
            {
                var entry = raw.Trim();
                if (entry.Length == 0)
                {
                    continue;
                }

                if (entry.Length < 3 || entry[1] != ':' || entry[0] is not ('P' or 'F' or 'T'))
                {
                    errors.Add(new OptionError(Descriptors.InvalidOptionDocumentationId, entry));
                    continue;
                }

                ImmutableArray<ISymbol> resolved;
                try
                {
                    resolved = DocumentationCommentId.GetSymbolsForDeclarationId(entry, compilation);
                }
                catch (ArgumentException)
                {
                    resolved = ImmutableArray<ISymbol>.Empty;
                }

                if (resolved.IsDefaultOrEmpty)
                {
                    errors.Add(new OptionError(Descriptors.InvalidOptionNoSuchMember, entry));
                    continue;
                }

                var symbol = resolved[0];
                switch (symbol)
                {
                    case IPropertySymbol property when !IsSettableProperty(property):
                        errors.Add(new OptionError(Descriptors.InvalidOptionPropertyNotSettable, entry));
                        continue;
                    case IFieldSymbol field when !field.IsStatic || (!IsAsyncLocal(field.Type) && !IsThreadLocalStorage(field)):
                        errors.Add(new OptionError(Descriptors.InvalidOptionFieldNotContext, entry));
                        continue;
                    case INamedTypeSymbol type when !Expand(type).Any():
                        errors.Add(new OptionError(Descriptors.InvalidOptionTypeWithoutContext, entry));
                        continue;
                }

                symbols.AddRange(Expand(symbol));
            }

            var detectedSet = Detected(cancellationToken);
            var all = detectedSet.Members.Select(m => m.Symbol).Concat(symbols).ToList();
            return AmbientSet.Empty.WithMembers(Build(all, cancellationToken), errors.ToImmutable());
        }
    }
}
