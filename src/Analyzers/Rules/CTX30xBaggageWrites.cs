using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using ContextAnalyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>What CTX301, CTX302, CTX303 and CTX399 share: the options, and every baggage write split into key/value entries.</summary>
    public sealed partial class CTX301SensitiveBaggageAnalyzer
    {
        internal const string BaggagePolicyMetadataName = "ContextAnalyzers.Runtime.BaggagePolicy";

        /// <summary>Options of one .editorconfig section, parsed once per distinct value (and cached per tree).</summary>
        internal sealed class BaggageOptions
        {
            public static readonly BaggageOptions Default = new BaggageOptions(SensitiveWords.Default, ImmutableHashSet<string>.Empty, ImmutableArray<(string, OptionError)>.Empty);

            public BaggageOptions(SensitiveWords words, ImmutableHashSet<string> allowedKeys, ImmutableArray<(string Option, OptionError Error)> errors)
            {
                Words = words;
                AllowedKeys = allowedKeys;
                Errors = errors;
            }

            public SensitiveWords Words { get; }

            public ImmutableHashSet<string> AllowedKeys { get; }

            public ImmutableArray<(string Option, OptionError Error)> Errors { get; }

            public static BaggageOptions Parse(string? words, string? keys)
            {
                if (words is null && keys is null)
                {
                    return Default;
                }

                var errors = ImmutableArray.CreateBuilder<(string, OptionError)>();
                var parsed = Shared.SensitiveWordsOption.Parse(words);
                foreach (var error in parsed.Errors)
                {
                    errors.Add((SensitiveWordsOption, Error(error)));
                }

                var keyErrors = new List<(Shared.SensitiveWordsOption.Problem, string, string)>();
                var allowed = Shared.SensitiveWordsOption.ParseKeys(keys, keyErrors);
                foreach (var error in keyErrors)
                {
                    errors.Add((AllowedKeysOption, Error(error)));
                }

                var list = parsed.Added.Count == 0 && parsed.Removed.Count == 0 ? SensitiveWords.Default : SensitiveWords.Create(parsed.Added, parsed.Removed);
                return new BaggageOptions(list, ImmutableHashSet.CreateRange(StringComparer.Ordinal, allowed), errors.ToImmutable());
            }

            /// <summary>The CTX399 sentence for an invalid entry of the word list or of the allowed keys.</summary>
            private static OptionError Error((Shared.SensitiveWordsOption.Problem Problem, string Entry, string Word) error) => error.Problem switch
            {
                Shared.SensitiveWordsOption.Problem.RemovesUnknownWord => new OptionError(Descriptors.InvalidOptionRemovesUnknownWord, error.Entry, error.Word),
                Shared.SensitiveWordsOption.Problem.NotABaggageKey => new OptionError(Descriptors.InvalidOptionBaggageKey, error.Entry),
                _ => new OptionError(Descriptors.InvalidAnalyzerOption, error.Entry),
            };
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

        private sealed partial class Analysis
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

                if (checkDropped && anyComputedKey && CheckLoop(context, invocation, kind))
                {
                    return;
                }

                if (direct && kind != WriteKind.ContextScope && !IsPolicyArgument(invocation))
                {
                    CheckAccumulation(context, invocation, entries[0], kind);
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

            // ------------------------------------------------------------------ helpers

            /// <summary><c>SetBaggage(key, null)</c> and <c>SetBaggage(key, "")</c> remove the entry: nothing is sent.</summary>
            private static bool IsRemoval(IOperation value) =>
                value.ConstantValue.HasValue && (value.ConstantValue.Value is null || value.ConstantValue.Value is string { Length: 0 });

            /// <summary>The code that is read, shortened to one line of at most 60 characters, for the message (which quotes it).</summary>
            private static string Describe(IOperation operation)
            {
                var text = operation.Syntax.ToString();
                if (text.Length > 60 || text.IndexOf('\n') >= 0)
                {
                    text = text.Substring(0, Math.Min(57, text.IndexOf('\n') < 0 ? text.Length : text.IndexOf('\n'))).TrimEnd() + "...";
                }

                return text;
            }

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
