using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using ContextAnalyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX301 (sensitive key), CTX302 (sensitive value), CTX303 (dropped by the propagator) and CTX399 (invalid option).
    /// They share one analysis: find every baggage write, split it into key/value entries, and check each entry once.
    /// One write gets one sensitivity diagnostic: when CTX301 flags the key, CTX302 stays silent on the same entry.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX301SensitiveBaggageAnalyzer : DiagnosticAnalyzer
    {
        /// <summary><c>+word, -word</c>: add to / remove from the default sensitive list (never replaces it).</summary>
        public const string SensitiveWordsOption = "ctx_analyzers.sensitive_words";

        /// <summary>Comma-separated exact baggage keys that CTX301/CTX302 never flag.</summary>
        public const string AllowedKeysOption = "ctx_analyzers.allowed_baggage_keys";

        /// <summary>Diagnostic property: how the write can be rewritten (<see cref="WriteStatic"/>, <see cref="WriteActivity"/>, ...).</summary>
        public const string WriteKindProperty = "WriteKind";

        /// <summary>A statement <c>Baggage.SetBaggage(key, value);</c> without a <c>baggage:</c> argument.</summary>
        public const string WriteStatic = "StaticStatement";

        /// <summary>A statement <c>activity.AddBaggage(key, value);</c> or <c>activity.SetBaggage(key, value);</c>.</summary>
        public const string WriteActivity = "ActivityStatement";

        /// <summary>Any other write that is a whole statement (it can be removed, not turned into a tag).</summary>
        public const string WriteStatement = "Statement";

        /// <summary>An entry of a dictionary/array initializer or collection expression (the element can be removed).</summary>
        public const string WriteElement = "Element";

        /// <summary>Diagnostic property of CTX303: how the write can be routed through the runtime policy (<see cref="PolicyStatic"/>, <see cref="PolicyWrap"/>).</summary>
        public const string StaticSetBaggageProperty = "PolicyFix";

        /// <summary>A static <c>Baggage.SetBaggage</c> call: becomes <c>BaggagePolicy.Default.SetBaggage</c>.</summary>
        public const string PolicyStatic = "Static";

        /// <summary>A pure write that yields a Baggage: wrapped in <c>BaggagePolicy.Default.Apply(...)</c>.</summary>
        public const string PolicyWrap = "Wrap";

        internal const string BaggagePolicyMetadataName = "ContextAnalyzers.Runtime.BaggagePolicy";
        private const string DataClassificationMetadataName = "Microsoft.Extensions.Compliance.Classification.DataClassificationAttribute";
        private const int MaxDepth = 8;

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.SensitiveBaggageKey,
            Descriptors.SensitiveBaggageValue,
            Descriptors.BaggageDroppedByPropagator,
            Descriptors.InvalidAnalyzerOption);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.MayUseTelemetry(start.CancellationToken) || (types.Baggage is null && types.Activity is null && types.ContextScope is null))
                {
                    return;
                }

                var analysis = new Analysis(types, start.Compilation);
                // Every write the rules read names SetBaggage, AddBaggage or Create: other bodies get no callback per call.
                NameIndex.RegisterWhereNamed(start, Names.SetBaggage | Names.AddBaggage | Names.Create, analysis.AnalyzeInvocation, OperationKind.Invocation);
                start.RegisterSyntaxTreeAction(analysis.ReportInvalidOptions);
            });
        }

        /// <summary>Options of one .editorconfig section, parsed once per distinct value (and cached per tree).</summary>
        internal sealed class BaggageOptions
        {
            public static readonly BaggageOptions Default = new BaggageOptions(SensitiveWords.Default, ImmutableHashSet<string>.Empty, ImmutableArray<(string, string)>.Empty);

            public BaggageOptions(SensitiveWords words, ImmutableHashSet<string> allowedKeys, ImmutableArray<(string Option, string Error)> errors)
            {
                Words = words;
                AllowedKeys = allowedKeys;
                Errors = errors;
            }

            public SensitiveWords Words { get; }

            public ImmutableHashSet<string> AllowedKeys { get; }

            public ImmutableArray<(string Option, string Error)> Errors { get; }

            public static BaggageOptions Parse(string? words, string? keys)
            {
                if (words is null && keys is null)
                {
                    return Default;
                }

                var errors = ImmutableArray.CreateBuilder<(string, string)>();
                var parsed = Shared.SensitiveWordsOption.Parse(words);
                if (parsed.Errors.Count > 0)
                {
                    errors.Add((SensitiveWordsOption, string.Join("; ", parsed.Errors)));
                }

                var keyErrors = new List<string>();
                var allowed = Shared.SensitiveWordsOption.ParseKeys(keys, keyErrors);
                if (keyErrors.Count > 0)
                {
                    errors.Add((AllowedKeysOption, string.Join("; ", keyErrors)));
                }

                var list = parsed.Added.Count == 0 && parsed.Removed.Count == 0 ? SensitiveWords.Default : SensitiveWords.Create(parsed.Added, parsed.Removed);
                return new BaggageOptions(list, ImmutableHashSet.CreateRange(StringComparer.Ordinal, allowed), errors.ToImmutable());
            }
        }

        private enum WriteKind
        {
            Baggage,
            Activity,
            ContextScope,
        }

        private readonly struct Entry
        {
            public Entry(IOperation? key, IOperation? value, SyntaxNode? removable = null)
            {
                Key = key;
                Value = value;
                Removable = removable;
            }

            /// <summary>The initializer element or collection element that holds the entry, when it can be removed alone.</summary>
            public SyntaxNode? Removable { get; }

            public IOperation? Key { get; }

            public IOperation? Value { get; }
        }

        private sealed class Analysis
        {
            private readonly KnownTypes types;
            private readonly INamedTypeSymbol? policy;
            private readonly INamedTypeSymbol? dataClassification;
            private readonly ConcurrentDictionary<SyntaxTree, BaggageOptions> byTree = new ConcurrentDictionary<SyntaxTree, BaggageOptions>();
            private readonly ConcurrentDictionary<(string?, string?), BaggageOptions> byValue = new ConcurrentDictionary<(string?, string?), BaggageOptions>();

            public Analysis(KnownTypes types, Compilation compilation)
            {
                this.types = types;
                policy = compilation.GetTypeByMetadataName(BaggagePolicyMetadataName);
                dataClassification = compilation.GetTypeByMetadataName(DataClassificationMetadataName);
            }

            private BaggageOptions GetOptions(AnalyzerOptions options, SyntaxTree tree)
            {
                // TryGetValue first: no closure allocated per write once the tree's options are known.
                if (byTree.TryGetValue(tree, out var cached))
                {
                    return cached;
                }

                return byTree.GetOrAdd(tree, t =>
                {
                    var config = options.AnalyzerConfigOptionsProvider.GetOptions(t);
                    config.TryGetValue(SensitiveWordsOption, out var words);
                    config.TryGetValue(AllowedKeysOption, out var keys);
                    return byValue.GetOrAdd((words, keys), k => BaggageOptions.Parse(k.Item1, k.Item2));
                });
            }

            // ------------------------------------------------------------------ CTX399

            public void ReportInvalidOptions(SyntaxTreeAnalysisContext context)
            {
                var options = GetOptions(context.Options, context.Tree);
                if (options.Errors.IsEmpty)
                {
                    return;
                }

                // Once per file, at the first call that looks like a baggage write (a syntactic scan: it runs only when an
                // option of this file is invalid, and it is deterministic, unlike "the first write analysed").
                var root = context.Tree.GetRoot(context.CancellationToken);
                foreach (var node in root.DescendantNodes())
                {
                    if (node is InvocationExpressionSyntax invocation && LooksLikeBaggageWrite(invocation.Expression))
                    {
                        foreach (var (option, error) in options.Errors)
                        {
                            var at = invocation.Expression switch
                            {
                                MemberAccessExpressionSyntax member => member.Name.GetLocation(),
                                MemberBindingExpressionSyntax binding => binding.Name.GetLocation(),
                                _ => invocation.Expression.GetLocation(),
                            };
                            context.ReportDiagnostic(Diagnostic.Create(Descriptors.InvalidAnalyzerOption, at, option, error));
                        }

                        return;
                    }
                }
            }

            private static bool LooksLikeBaggageWrite(ExpressionSyntax expression)
            {
                switch (expression)
                {
                    case MemberAccessExpressionSyntax member:
                        var name = member.Name.Identifier.ValueText;
                        return name == "SetBaggage" || name == "AddBaggage" ||
                               (name == "Create" && member.Expression is IdentifierNameSyntax { Identifier.ValueText: "Baggage" } or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Baggage" });
                    case MemberBindingExpressionSyntax binding:
                        return binding.Name.Identifier.ValueText is "SetBaggage" or "AddBaggage";
                    default:
                        return false;
                }
            }

            // ------------------------------------------------------------------ writes

            public void AnalyzeInvocation(OperationAnalysisContext context)
            {
                var invocation = (IInvocationOperation)context.Operation;
                var method = invocation.TargetMethod;
                var name = method.Name;
                if (name != "SetBaggage" && name != "AddBaggage" && name != "Create")
                {
                    return;
                }

                var containing = method.ContainingType;
                WriteKind kind;
                if (types.Baggage is not null && SymbolEqualityComparer.Default.Equals(containing, types.Baggage))
                {
                    if (name == "AddBaggage")
                    {
                        return;
                    }

                    kind = WriteKind.Baggage;
                }
                else if (types.Activity is not null && SymbolEqualityComparer.Default.Equals(containing, types.Activity))
                {
                    if (name == "Create")
                    {
                        return;
                    }

                    kind = WriteKind.Activity;
                }
                else if (types.ContextScope is not null && SymbolEqualityComparer.Default.Equals(containing, types.ContextScope))
                {
                    if (name != "SetBaggage")
                    {
                        return;
                    }

                    kind = WriteKind.ContextScope;
                }
                else
                {
                    return;
                }

                var entries = new List<Entry>();
                var direct = CollectEntries(invocation, entries);
                if (entries.Count == 0)
                {
                    return;
                }

                var options = GetOptions(context.Options, invocation.Syntax.SyntaxTree);
                var writeKind = direct ? StatementWriteKind(invocation, kind) : null;

                // BaggagePolicy.Default.Apply(Baggage.Create(...)): the policy enforces the limits and reports drops.
                var checkDropped = kind != WriteKind.Activity && !IsPolicyArgument(invocation);
                var anyComputedKey = false;
                foreach (var entry in entries)
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    var key = ConstantString(entry.Key);
                    anyComputedKey |= key is null;
                    CheckSensitive(context, invocation, entry, key, options, writeKind);
                    if (checkDropped)
                    {
                        CheckDropped(context, invocation, entry, key, kind);
                    }
                }

                if (checkDropped && anyComputedKey)
                {
                    CheckLoop(context, invocation, kind);
                }
            }

            /// <summary>Fills <paramref name="entries"/>; returns true when the call has one direct (key, value) pair.</summary>
            private bool CollectEntries(IInvocationOperation invocation, List<Entry> entries)
            {
                IOperation? key = null;
                IOperation? value = null;
                var strings = 0;
                foreach (var argument in invocation.Arguments)
                {
                    var parameter = argument.Parameter;
                    if (parameter is null)
                    {
                        continue;
                    }

                    if (parameter.Type.SpecialType == SpecialType.System_String)
                    {
                        if (argument.ArgumentKind == ArgumentKind.DefaultValue)
                        {
                            continue;
                        }

                        // (name|key, value): the first string parameter is the key, the second the value.
                        var isKey = parameter.Name is "name" or "key" || (strings == 0 && parameter.Name != "value");
                        if (isKey)
                        {
                            key = argument.Value;
                        }
                        else
                        {
                            value = argument.Value;
                        }

                        strings++;
                        continue;
                    }

                    if (types.Baggage is not null && SymbolEqualityComparer.Default.Equals(parameter.Type, types.Baggage))
                    {
                        continue;
                    }

                    if (argument.ArgumentKind != ArgumentKind.DefaultValue)
                    {
                        CollectFromCollection(argument.Value, entries, 0);
                    }
                }

                if (key is not null || value is not null)
                {
                    entries.Insert(0, new Entry(key, value));
                    return entries.Count == 1;
                }

                return false;
            }

            private void CollectFromCollection(IOperation operation, List<Entry> entries, int depth)
            {
                if (depth > 2)
                {
                    return;
                }

                operation = Unwrap(operation);
                switch (operation)
                {
                    case IArrayCreationOperation { Initializer: { } init }:
                        foreach (var element in init.ElementValues)
                        {
                            CollectPair(element, entries);
                        }

                        return;
                    case IObjectCreationOperation { Initializer: { } init }:
                        foreach (var initializer in init.Initializers)
                        {
                            switch (initializer)
                            {
                                case IInvocationOperation add when add.Arguments.Length == 2:
                                    entries.Add(new Entry(ArgumentValue(add, 0), ArgumentValue(add, 1), RemovableElement(add.Syntax)));
                                    break;
                                case IInvocationOperation add when add.Arguments.Length == 1:
                                    CollectPair(add.Arguments[0].Value, entries);
                                    break;
                                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Arguments.Length: 1 } indexer } assignment:
                                    entries.Add(new Entry(indexer.Arguments[0].Value, assignment.Value, RemovableElement(assignment.Syntax)));
                                    break;
                            }
                        }

                        return;
                }

                // Collection expressions have no IOperation in Roslyn 4.8: read their elements through the syntax.
                if (operation.Syntax is CollectionExpressionSyntax collection && operation.SemanticModel is { } model)
                {
                    foreach (var element in collection.Elements)
                    {
                        if (element is ExpressionElementSyntax { Expression: { } expression } && model.GetOperation(expression) is { } elementOperation)
                        {
                            CollectPair(elementOperation, entries);
                        }
                    }
                }
            }

            private static void CollectPair(IOperation operation, List<Entry> entries)
            {
                operation = Unwrap(operation);
                switch (operation)
                {
                    case IObjectCreationOperation creation when creation.Arguments.Length == 2 && creation.Type?.Name == "KeyValuePair":
                        entries.Add(new Entry(creation.Arguments[0].Value, creation.Arguments[1].Value, RemovableElement(creation.Syntax)));
                        break;
                    case IInvocationOperation create when create.Arguments.Length == 2 && create.TargetMethod.Name == "Create" && create.TargetMethod.ContainingType?.Name == "KeyValuePair":
                        entries.Add(new Entry(create.Arguments[0].Value, create.Arguments[1].Value, RemovableElement(create.Syntax)));
                        break;
                }
            }

            /// <summary>An element of an initializer (<c>{ { k, v }, [k] = v, new(k, v) }</c>) or of a collection expression.</summary>
            private static SyntaxNode? RemovableElement(SyntaxNode syntax) => syntax.Parent switch
            {
                InitializerExpressionSyntax => syntax,
                ExpressionElementSyntax { Parent: CollectionExpressionSyntax } element => element,
                _ => null,
            };

            private static IOperation? ArgumentValue(IInvocationOperation invocation, int index) =>
                index < invocation.Arguments.Length ? invocation.Arguments[index].Value : null;

            private string? StatementWriteKind(IInvocationOperation invocation, WriteKind kind)
            {
                var parent = invocation.Parent;
                if (parent is IConditionalAccessOperation access && access.WhenNotNull == invocation)
                {
                    parent = access.Parent;
                }

                if (parent is not IExpressionStatementOperation)
                {
                    return null;
                }

                if (kind == WriteKind.Activity)
                {
                    return WriteActivity;
                }

                if (kind == WriteKind.Baggage && invocation.TargetMethod.IsStatic)
                {
                    foreach (var argument in invocation.Arguments)
                    {
                        if (argument.Parameter?.Name == "baggage" && argument.ArgumentKind != ArgumentKind.DefaultValue)
                        {
                            return WriteStatement;
                        }
                    }

                    return WriteStatic;
                }

                return WriteStatement;
            }

            // ------------------------------------------------------------------ CTX301 / CTX302

            private void CheckSensitive(OperationAnalysisContext context, IInvocationOperation invocation, Entry entry, string? key, BaggageOptions options, string? writeKind)
            {
                if (key is not null && options.AllowedKeys.Contains(key))
                {
                    return;
                }

                if (entry.Value is not null && (IsPseudonym(entry.Value) || IsRemoval(entry.Value)))
                {
                    return;
                }

                if (key is not null && entry.Key is not null)
                {
                    var match = options.Words.Match(key);
                    if (match is not null)
                    {
                        var (additional, properties) = ReportData(invocation, entry, writeKind);
                        context.ReportDiagnostic(Diagnostic.Create(Descriptors.SensitiveBaggageKey, entry.Key.Syntax.GetLocation(), additional, properties, key, match));
                        return;
                    }
                }

                if (entry.Value is null)
                {
                    return;
                }

                var found = FindSensitive(entry.Value, options.Words, 0);
                if (found is { } f)
                {
                    var (additional, properties) = ReportData(invocation, entry, writeKind);
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.SensitiveBaggageValue, entry.Value.Syntax.GetLocation(), additional, properties, f.What, f.Why));
                }
            }

            /// <summary>The additional locations and properties of a CTX301/CTX302 diagnostic: built only when one is reported.</summary>
            private static (List<Location> Additional, ImmutableDictionary<string, string?> Properties) ReportData(IInvocationOperation invocation, Entry entry, string? writeKind)
            {
                var properties = writeKind is null
                    ? ImmutableDictionary<string, string?>.Empty
                    : ImmutableDictionary<string, string?>.Empty.Add(WriteKindProperty, writeKind);
                // [0] the write, [1] the value (or the write), [2] the removable collection element, if any.
                var additional = new List<Location> { invocation.Syntax.GetLocation() };
                if (entry.Value is not null)
                {
                    additional.Add(entry.Value.Syntax.GetLocation());
                    if (entry.Removable is not null)
                    {
                        additional.Add(entry.Removable.GetLocation());
                        properties = properties.SetItem(WriteKindProperty, WriteElement);
                    }
                }

                return (additional, properties);
            }

            /// <summary><c>SetBaggage(key, null)</c> and <c>SetBaggage(key, "")</c> remove the entry: nothing is sent.</summary>
            private static bool IsRemoval(IOperation value) =>
                value.ConstantValue.HasValue && (value.ConstantValue.Value is null || value.ConstantValue.Value is string { Length: 0 });

            private bool IsPseudonym(IOperation value)
            {
                value = Unwrap(value);
                if (value is IConditionalAccessOperation access)
                {
                    value = Unwrap(access.WhenNotNull);
                }

                return policy is not null && value is IInvocationOperation invocation &&
                       SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, policy);
            }

            private (string What, string Why)? FindSensitive(IOperation operation, SensitiveWords words, int depth)
            {
                if (depth > MaxDepth)
                {
                    return null;
                }

                depth++;
                switch (operation)
                {
                    case IConversionOperation conversion:
                        return FindSensitive(conversion.Operand, words, depth);
                    case IParenthesizedOperation parenthesized:
                        return FindSensitive(parenthesized.Operand, words, depth);
                    case IInterpolatedStringOperation interpolated:
                        foreach (var part in interpolated.Parts)
                        {
                            if (part is IInterpolationOperation interpolation && FindSensitive(interpolation.Expression, words, depth) is { } inPart)
                            {
                                return inPart;
                            }
                        }

                        return null;
                    case IBinaryOperation binary:
                        return FindSensitive(binary.LeftOperand, words, depth) ?? FindSensitive(binary.RightOperand, words, depth);
                    case ICoalesceOperation coalesce:
                        return FindSensitive(coalesce.Value, words, depth) ?? FindSensitive(coalesce.WhenNull, words, depth);
                    case IConditionalOperation conditional:
                        return FindSensitive(conditional.WhenTrue, words, depth) ?? (conditional.WhenFalse is null ? null : FindSensitive(conditional.WhenFalse, words, depth));
                    case IConditionalAccessOperation access:
                        return FindSensitive(access.WhenNotNull, words, depth) ?? FindSensitive(access.Operation, words, depth);
                    case ILocalReferenceOperation local:
                        return Named(operation, local.Local.Name, words);
                    case IParameterReferenceOperation parameter:
                        return Named(operation, parameter.Parameter.Name, words) ?? Classified(operation, parameter.Parameter);
                    case IFieldReferenceOperation field:
                        return Named(operation, field.Field.Name, words) ?? Classified(operation, field.Field) ?? Qualified(operation, field.Instance, field.Field.Name, words);
                    case IPropertyReferenceOperation property:
                        return FindInProperty(property, words, depth);
                    case IInvocationOperation invocation:
                        return FindInInvocation(invocation, words, depth);
                    default:
                        return null;
                }
            }

            private (string What, string Why)? FindInProperty(IPropertyReferenceOperation property, SensitiveWords words, int depth)
            {
                var symbol = property.Property;
                if (symbol.IsIndexer)
                {
                    return property.Instance is null ? null : FindHeaderLookup(property, property.Instance.Type, property.Arguments, words);
                }

                // claim.Value / FindFirst(type)?.Value: the claim's type decides.
                if (symbol.Name == "Value" && symbol.ContainingType?.Name == "Claim" && property.Instance is { } claim)
                {
                    return FindSensitive(claim, words, depth);
                }

                // User.Identity.Name is the name claim.
                if (symbol.Name == "Name" && IsIdentity(symbol.ContainingType))
                {
                    return (Describe(property), "the identity's name claim");
                }

                return Named(property, symbol.Name, words) ?? Classified(property, symbol) ?? Qualified(property, property.Instance, symbol.Name, words);
            }

            /// <summary><c>session.Id</c>, <c>card.Number</c>: the receiver's name and the member's name read as one key.</summary>
            private static (string What, string Why)? Qualified(IOperation operation, IOperation? instance, string member, SensitiveWords words)
            {
                var receiver = instance switch
                {
                    ILocalReferenceOperation l => l.Local.Name,
                    IParameterReferenceOperation p => p.Parameter.Name,
                    IFieldReferenceOperation f => f.Field.Name,
                    IPropertyReferenceOperation p => p.Property.Name,
                    _ => null,
                };
                if (receiver is null)
                {
                    return null;
                }

                var name = receiver + "." + member;
                var match = words.Match(name);
                return match is null ? null : (Describe(operation), $"'{name}' matches the sensitive entry '{match}'");
            }

            private (string What, string Why)? FindInInvocation(IInvocationOperation invocation, SensitiveWords words, int depth)
            {
                var method = invocation.TargetMethod;
                if (policy is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, policy))
                {
                    return null;
                }

                foreach (var argument in invocation.Arguments)
                {
                    if (ConstantString(argument.Value) is { } constant && ClaimDescription(constant, method.Name) is { } claim)
                    {
                        return (Describe(invocation), claim);
                    }
                }

                var receiverType = invocation.Instance?.Type ?? (method.IsExtensionMethod && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value.Type : null);
                if (FindHeaderLookup(invocation, receiverType, invocation.Arguments, words) is { } header)
                {
                    return header;
                }

                if (Named(invocation, method.Name, words) is { } named)
                {
                    return named;
                }

                // Formatting keeps the data: user.Email.ToLowerInvariant(), password.ToString(), string.Concat(...), Convert.ToBase64String(...).
                var type = method.ContainingType;
                if (invocation.Instance is { } instance && (type?.SpecialType == SpecialType.System_String || method.Name == "ToString"))
                {
                    return FindSensitive(instance, words, depth);
                }

                if (method.IsStatic && type is not null && (type.SpecialType == SpecialType.System_String || IsSystemType(type, "Convert") || IsSystemType(type, "Uri")))
                {
                    foreach (var argument in invocation.Arguments)
                    {
                        if (FindSensitive(argument.Value, words, depth) is { } inArgument)
                        {
                            return inArgument;
                        }
                    }
                }

                // request.Headers.GetValues("Authorization").First(): element operators keep the data.
                if (method.IsStatic && invocation.Arguments.Length > 0 && type is not null && type.Name == "Enumerable" &&
                    (method.Name.StartsWith("First", StringComparison.Ordinal) || method.Name.StartsWith("Single", StringComparison.Ordinal) ||
                     method.Name.StartsWith("Last", StringComparison.Ordinal) || method.Name.StartsWith("ElementAt", StringComparison.Ordinal)))
                {
                    return FindSensitive(invocation.Arguments[0].Value, words, depth);
                }

                if (method.Name == "GetBytes" && invocation.Arguments.Length == 1)
                {
                    return FindSensitive(invocation.Arguments[0].Value, words, depth);
                }

                return null;
            }

            private static (string What, string Why)? FindHeaderLookup(IOperation operation, ITypeSymbol? receiverType, ImmutableArray<IArgumentOperation> arguments, SensitiveWords words)
            {
                if (receiverType is null || arguments.Length == 0)
                {
                    return null;
                }

                if (ConstantString(arguments[0].Value) is not { } name)
                {
                    return null;
                }

                // These header names are specific enough to flag on any receiver (NameValueCollection, dictionaries, ...).
                if (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(name, "Proxy-Authorization", StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase))
                {
                    return (Describe(operation), $"the '{name}' header");
                }

                var typeName = receiverType.Name;
                if (typeName.IndexOf("Cookie", StringComparison.Ordinal) >= 0)
                {
                    return (Describe(operation), $"the '{name}' cookie");
                }

                if (typeName.IndexOf("Header", StringComparison.Ordinal) >= 0 && words.Match(name) is not null)
                {
                    return (Describe(operation), $"the '{name}' header");
                }

                return null;
            }

            private static (string What, string Why)? Named(IOperation operation, string name, SensitiveWords words)
            {
                // A flag, an enum or a cancellation token cannot carry the data its name mentions (hasPassword, TokenKind, cancellationToken).
                if (!CanCarryData(operation.Type))
                {
                    return null;
                }

                var match = words.Match(name);
                return match is null ? null : (Describe(operation), $"'{name}' matches the sensitive entry '{match}'");
            }

            private (string What, string Why)? Classified(IOperation operation, ISymbol symbol)
            {
                if (dataClassification is null)
                {
                    return null;
                }

                foreach (var attribute in symbol.GetAttributes())
                {
                    for (var type = attribute.AttributeClass; type is not null; type = type.BaseType)
                    {
                        if (SymbolEqualityComparer.Default.Equals(type, dataClassification))
                        {
                            return (Describe(operation), $"'{symbol.Name}' is classified [{attribute.AttributeClass!.Name}]");
                        }
                    }
                }

                return null;
            }

            private static bool CanCarryData(ITypeSymbol? type) =>
                type is null ||
                (type.SpecialType != SpecialType.System_Boolean &&
                 type.TypeKind != TypeKind.Enum &&
                 type.Name != "CancellationToken" &&
                 !(type is INamedTypeSymbol { IsGenericType: true, Name: "Nullable" } nullable && nullable.TypeArguments[0].TypeKind == TypeKind.Enum));

            private static bool IsIdentity(INamedTypeSymbol? type)
            {
                if (type is null)
                {
                    return false;
                }

                if (type.Name == "IIdentity" || type.Name == "ClaimsIdentity")
                {
                    return true;
                }

                foreach (var i in type.AllInterfaces)
                {
                    if (i.Name == "IIdentity" && i.ContainingNamespace is { Name: "Principal", ContainingNamespace: { Name: "Security", ContainingNamespace: { Name: "System" } } })
                    {
                        return true;
                    }
                }

                return false;
            }

            private static bool IsSystemType(INamedTypeSymbol type, string name) =>
                type.Name == name && type.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true };

            private const string ClaimsPrefix = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

            private static string? ClaimDescription(string value, string methodName)
            {
                string? claim = null;
                if (value.StartsWith(ClaimsPrefix, StringComparison.Ordinal))
                {
                    claim = value.Substring(ClaimsPrefix.Length);
                    switch (claim)
                    {
                        case "emailaddress":
                        case "name":
                        case "givenname":
                        case "surname":
                        case "mobilephone":
                        case "homephone":
                        case "otherphone":
                        case "dateofbirth":
                        case "streetaddress":
                        case "upn":
                            break;
                        default:
                            return null;
                    }
                }
                else if (methodName.StartsWith("Find", StringComparison.Ordinal) || methodName == "HasClaim")
                {
                    switch (value)
                    {
                        case "email":
                        case "name":
                        case "given_name":
                        case "family_name":
                        case "phone_number":
                        case "birthdate":
                        case "preferred_username":
                        case "upn":
                            claim = value;
                            break;
                        default:
                            return null;
                    }
                }

                return claim is null ? null : $"a claim of type '{claim}'";
            }

            private static string Describe(IOperation operation)
            {
                var text = operation.Syntax.ToString();
                if (text.Length > 60 || text.IndexOf('\n') >= 0)
                {
                    text = text.Substring(0, Math.Min(57, text.IndexOf('\n') < 0 ? text.Length : text.IndexOf('\n'))).TrimEnd() + "...";
                }

                return "'" + text + "'";
            }

            // ------------------------------------------------------------------ CTX303

            private void CheckDropped(OperationAnalysisContext context, IInvocationOperation invocation, Entry entry, string? key, WriteKind kind)
            {
                if (entry.Value is not null && IsRemoval(entry.Value))
                {
                    return;
                }

                if (key is not null && entry.Key is not null && key.Length > 0 && !BaggageLimits.IsToken(key))
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.BaggageDroppedByPropagator, entry.Key.Syntax.GetLocation(), new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind),
                        $"the key '{key}'", "it is not a W3C token (spaces, separators such as '/:;=@,' and non-ASCII characters are not allowed), so it is skipped without a log"));
                    return;
                }

                if (entry.Value is null)
                {
                    return;
                }

                if (ConstantString(entry.Value) is { } value)
                {
                    var length = BaggageLimits.EntryLength(key ?? string.Empty, value);
                    if (length > BaggageLimits.MaxTotalBytes)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.BaggageDroppedByPropagator, entry.Value.Syntax.GetLocation(), new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind),
                            key is null ? "this entry" : $"the entry '{key}'",
                            $"it takes {length} bytes once percent-encoded, over the {BaggageLimits.MaxTotalBytes}-byte header limit, so no baggage header is sent at all"));
                    }

                    return;
                }

                if (Serialization(entry.Value) is { } how)
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.BaggageDroppedByPropagator, entry.Value.Syntax.GetLocation(), DiagnosticSeverity.Info, new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind),
                        key is null ? "this entry" : $"the entry '{key}'",
                        $"its value is built by {how}, which grows with the data and can pass the {BaggageLimits.MaxTotalBytes}-byte header limit"));
                }
            }

            /// <summary>
            /// How the CTX303 fix can route the write through the policy: a static <c>Baggage.SetBaggage</c> becomes
            /// <c>BaggagePolicy.Default.SetBaggage</c> (<see cref="PolicyStatic"/>); a pure write that yields a Baggage
            /// (<c>Baggage.Create</c>, instance <c>SetBaggage</c>) is wrapped in <c>BaggagePolicy.Default.Apply(...)</c>
            /// (<see cref="PolicyWrap"/>).
            /// </summary>
            private ImmutableDictionary<string, string?> StaticSetBaggageProperties(IInvocationOperation invocation, WriteKind kind)
            {
                if (kind != WriteKind.Baggage)
                {
                    return ImmutableDictionary<string, string?>.Empty;
                }

                var value = invocation.TargetMethod.IsStatic && invocation.TargetMethod.Name == "SetBaggage" ? PolicyStatic : PolicyWrap;
                return ImmutableDictionary<string, string?>.Empty.Add(StaticSetBaggageProperty, value);
            }

            private bool IsPolicyArgument(IInvocationOperation invocation)
            {
                var parent = invocation.Parent;
                while (parent is IConversionOperation)
                {
                    parent = parent.Parent;
                }

                return policy is not null && parent is IArgumentOperation { Parent: IInvocationOperation outer } &&
                       SymbolEqualityComparer.Default.Equals(outer.TargetMethod.ContainingType, policy);
            }

            private static string? Serialization(IOperation value)
            {
                value = Unwrap(value);
                if (value is not IInvocationOperation invocation)
                {
                    return null;
                }

                var method = invocation.TargetMethod;
                var type = method.ContainingType;
                if (type is null)
                {
                    return null;
                }

                if ((method.Name == "Serialize" && type.Name == "JsonSerializer") ||
                    (method.Name == "SerializeObject" && type.Name == "JsonConvert") ||
                    (method.Name == "Serialize" && type.Name == "XmlSerializer"))
                {
                    return $"serialisation ({type.Name}.{method.Name})";
                }

                if (type.SpecialType == SpecialType.System_String && (method.Name == "Join" || method.Name == "Concat"))
                {
                    // string.Join(",", a, b) with a fixed params list is bounded; string.Join(",", collection) is not.
                    foreach (var argument in invocation.Arguments)
                    {
                        if (argument.ArgumentKind == ArgumentKind.Explicit && argument.Parameter?.Type is { } parameterType &&
                            parameterType.SpecialType != SpecialType.System_String && parameterType.SpecialType != SpecialType.System_Char &&
                            parameterType.SpecialType != SpecialType.System_Object && parameterType.TypeKind != TypeKind.TypeParameter)
                        {
                            return $"joining a collection (string.{method.Name})";
                        }
                    }
                }

                return null;
            }

            private void CheckLoop(OperationAnalysisContext context, IInvocationOperation invocation, WriteKind kind)
            {
                for (var parent = invocation.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent is IAnonymousFunctionOperation || parent is ILocalFunctionOperation || parent is IMethodBodyOperation)
                    {
                        return;
                    }

                    if (parent is IForEachLoopOperation loop && UnboundedSource(loop.Collection) is { } source)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.BaggageDroppedByPropagator, invocation.Syntax.GetLocation(), DiagnosticSeverity.Info,
                            new[] { invocation.Syntax.GetLocation() }, StaticSetBaggageProperties(invocation, kind),
                            "entries set in this loop",
                            $"the loop over {source} is unbounded and the propagator stops at {BaggageLimits.MaxEntries} entries or {BaggageLimits.MaxTotalBytes} bytes"));
                        return;
                    }
                }
            }

            private static string? UnboundedSource(IOperation collection)
            {
                collection = Unwrap(collection);
                var type = collection.Type;
                if (type is null)
                {
                    return null;
                }

                if (IsUnboundedType(type))
                {
                    return Describe(collection);
                }

                if (type is INamedTypeSymbol { IsGenericType: true } named)
                {
                    foreach (var argument in named.TypeArguments)
                    {
                        if (IsUnboundedType(argument))
                        {
                            return Describe(collection);
                        }
                    }
                }

                return null;
            }

            private static bool IsUnboundedType(ITypeSymbol type)
            {
                var name = type.Name;
                return name == "Claim" || name == "NameValueCollection" ||
                       name.IndexOf("Header", StringComparison.Ordinal) >= 0 ||
                       name.IndexOf("Query", StringComparison.Ordinal) >= 0 ||
                       name.IndexOf("Cookie", StringComparison.Ordinal) >= 0 ||
                       name.IndexOf("FormCollection", StringComparison.Ordinal) >= 0;
            }

            // ------------------------------------------------------------------ helpers

            private static IOperation Unwrap(IOperation operation)
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

            private static string? ConstantString(IOperation? operation) =>
                operation is not null && operation.ConstantValue.HasValue ? operation.ConstantValue.Value as string : null;
        }
    }
}
