using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Threading;
using ContextAnalyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// The baggage key contract of one compilation: CTX304 (a key read that nothing writes and that is a near miss of a
    /// written or declared key), CTX305 (a key written that the team's key schema does not list) and CTX399 for an
    /// invalid schema option or schema line.
    /// <para>
    /// Cost: the writes and reads are collected by an operation action registered only in the bodies that name
    /// <c>SetBaggage</c>, <c>AddBaggage</c>, <c>Create</c>, <c>GetBaggage</c> or <c>GetBaggageItem</c>, and only constant
    /// keys are kept (a string, a location, the containing member). A read can only be judged once every write of the
    /// compilation is known, and the reader and the writer are usually in different files (a middleware writes, a
    /// handler reads), so CTX304 needs a compilation-end action; it compares the few distinct read keys with the few
    /// distinct written keys, and its descriptor is tagged <see cref="WellKnownDiagnosticTags.CompilationEnd"/>. CTX305
    /// is reported where the write is analysed. The schema file is read and parsed once per compilation and option value.
    /// </para>
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX304BaggageKeyContractAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Comma-separated AdditionalFiles names (or path suffixes) that hold the team's baggage key schema.</summary>
        public const string SchemaOption = "ctx_analyzers.baggage_key_schema";

        /// <summary>The schema file found without the option: an AdditionalFiles item with this file name.</summary>
        public const string DefaultSchemaFileName = "baggage-keys.txt";

        /// <summary>Diagnostic property: the key the fix renames the read (CTX304) or the write (CTX305) to.</summary>
        public const string KeyProperty = "Key";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.BaggageKeyReadNotWritten,
            Descriptors.BaggageKeyReadNotWrittenOneCharacter,
            Descriptors.BaggageKeyNotInSchema,
            Descriptors.BaggageKeyNotInSchemaCloseTo,
            Descriptors.InvalidOptionNoAdditionalFile,
            Descriptors.InvalidOptionFileUnreadable,
            Descriptors.InvalidOptionSchemaLine);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = KnownTypes.Get(start.Compilation);
                if (!types.MayUseTelemetry(start.CancellationToken) || (types.Baggage is null && types.Activity is null))
                {
                    return;
                }

                var state = new State(types, start.Compilation, start.Options);
                NameIndex.RegisterWhereNamed(
                    start,
                    Names.SetBaggage | Names.AddBaggage | Names.Create | Names.GetBaggage | Names.GetBaggageItem,
                    state.AnalyzeInvocation,
                    OperationKind.Invocation);
                start.RegisterSyntaxTreeAction(state.ReportInvalidOptions);
                start.RegisterCompilationEndAction(state.ReportReadsNotWritten);
            });
        }

        // ------------------------------------------------------------------ schema

        /// <summary>The keys and key prefixes a team declared, merged from its schema files, with the lines that were invalid.</summary>
        internal sealed class KeySchema
        {
            public static readonly KeySchema None = new KeySchema(
                ImmutableDictionary<string, Location>.Empty, ImmutableArray<string>.Empty, ImmutableArray<OptionError>.Empty);

            public KeySchema(ImmutableDictionary<string, Location> keys, ImmutableArray<string> prefixes, ImmutableArray<OptionError> errors)
            {
                Keys = keys;
                Prefixes = prefixes;
                Errors = errors;
            }

            /// <summary>Exact keys, each with its line in the schema file.</summary>
            public ImmutableDictionary<string, Location> Keys { get; }

            /// <summary>Key prefixes (<c>app.*</c> in the file, stored without the <c>*</c>).</summary>
            public ImmutableArray<string> Prefixes { get; }

            public ImmutableArray<OptionError> Errors { get; }

            /// <summary>True when the schema lists anything: an empty or absent schema checks nothing.</summary>
            public bool IsEmpty => Keys.Count == 0 && Prefixes.IsEmpty;

            public bool Declares(string key)
            {
                if (Keys.ContainsKey(key))
                {
                    return true;
                }

                foreach (var prefix in Prefixes)
                {
                    if (key.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>
            /// Reads the schema named by <paramref name="optionValue"/> (comma-separated file names or path suffixes), or
            /// every <see cref="DefaultSchemaFileName"/> when the option is absent. One key or prefix per line; blank
            /// lines and lines starting with <c>#</c> are ignored.
            /// </summary>
            public static KeySchema Load(string? optionValue, ImmutableArray<AdditionalText> files, CancellationToken cancellationToken)
            {
                var errors = ImmutableArray.CreateBuilder<OptionError>();
                var selected = new List<AdditionalText>();
                if (optionValue is null)
                {
                    foreach (var file in files)
                    {
                        if (string.Equals(Path.GetFileName(file.Path), DefaultSchemaFileName, StringComparison.OrdinalIgnoreCase))
                        {
                            selected.Add(file);
                        }
                    }
                }
                else
                {
                    foreach (var part in optionValue.Split(','))
                    {
                        var name = part.Trim();
                        if (name.Length == 0)
                        {
                            continue;
                        }

                        var found = false;
                        foreach (var file in files)
                        {
                            if (NamesFile(file.Path, name))
                            {
                                found = true;
                                if (!selected.Contains(file))
                                {
                                    selected.Add(file);
                                }
                            }
                        }

                        if (!found)
                        {
                            errors.Add(new OptionError(Descriptors.InvalidOptionNoAdditionalFile, name));
                        }
                    }
                }

                if (selected.Count == 0)
                {
                    return errors.Count == 0 ? None : new KeySchema(ImmutableDictionary<string, Location>.Empty, ImmutableArray<string>.Empty, errors.ToImmutable());
                }

                var keys = ImmutableDictionary.CreateBuilder<string, Location>(StringComparer.Ordinal);
                var prefixes = ImmutableArray.CreateBuilder<string>();
                foreach (var file in selected)
                {
                    var text = file.GetText(cancellationToken);
                    if (text is null)
                    {
                        errors.Add(new OptionError(Descriptors.InvalidOptionFileUnreadable, Path.GetFileName(file.Path)));
                        continue;
                    }

                    foreach (var line in text.Lines)
                    {
                        var raw = line.ToString();
                        var entry = raw.Trim();
                        if (entry.Length == 0 || entry[0] == '#')
                        {
                            continue;
                        }

                        var isPrefix = entry.EndsWith("*", StringComparison.Ordinal);
                        var key = isPrefix ? entry.Substring(0, entry.Length - 1) : entry;
                        if (!BaggageLimits.IsToken(key) || key.IndexOf('*') >= 0)
                        {
                            errors.Add(new OptionError(Descriptors.InvalidOptionSchemaLine, (line.LineNumber + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), Path.GetFileName(file.Path), entry));
                            continue;
                        }

                        if (isPrefix)
                        {
                            prefixes.Add(key);
                        }
                        else if (!keys.ContainsKey(key))
                        {
                            var start = line.Start + raw.IndexOf(entry, StringComparison.Ordinal);
                            var span = new TextSpan(start, entry.Length);
                            keys.Add(key, Location.Create(file.Path, span, text.Lines.GetLinePositionSpan(span)));
                        }
                    }
                }

                return new KeySchema(keys.ToImmutable(), prefixes.ToImmutable(), errors.ToImmutable());
            }

            private static bool NamesFile(string path, string name)
            {
                var normalizedPath = path.Replace('\\', '/');
                var normalizedName = name.Replace('\\', '/').TrimStart('.', '/');
                return string.Equals(Path.GetFileName(path), name, StringComparison.OrdinalIgnoreCase)
                    || (normalizedName.Length > 0 && normalizedPath.EndsWith("/" + normalizedName, StringComparison.OrdinalIgnoreCase));
            }
        }

        // ------------------------------------------------------------------ near misses

        /// <summary>How close two baggage keys are: the test behind CTX304 and the CTX305 fix.</summary>
        internal static class KeyDistance
        {
            /// <summary>Same key but for case and separators (<c>tenant-id</c>, <c>tenant.id</c>, <c>TenantId</c>).</summary>
            public const int CaseOrSeparators = 0;

            /// <summary>
            /// One word differs by one character (replaced, two neighbours swapped, or inserted or removed inside the word),
            /// in a word of 4+ letters.
            /// </summary>
            public const int OneCharacter = 1;

            /// <summary>Not a near miss.</summary>
            public const int Far = int.MaxValue;

            /// <summary>
            /// <see cref="CaseOrSeparators"/>, <see cref="OneCharacter"/> or <see cref="Far"/>. Deliberately strict: keys
            /// that differ by a digit (<c>level1</c>, <c>level2</c>), by a whole word (<c>request.id</c>,
            /// <c>x.request.id</c>), by a letter at the end of a word (<c>item</c>, <c>items</c>) or inside a short word
            /// (<c>user.id</c>, <c>user.ip</c>) are different keys.
            /// </summary>
            public static int Between(string a, string b)
            {
                if (string.Equals(a, b, StringComparison.Ordinal))
                {
                    return Far;
                }

                var wordsA = Words(a);
                var wordsB = Words(b);
                if (wordsA.Count == 0 || wordsB.Count == 0)
                {
                    return Far;
                }

                if (string.Equals(string.Concat(wordsA), string.Concat(wordsB), StringComparison.Ordinal))
                {
                    return CaseOrSeparators;
                }

                if (wordsA.Count != wordsB.Count)
                {
                    return Far;
                }

                var differing = -1;
                for (var i = 0; i < wordsA.Count; i++)
                {
                    if (!string.Equals(wordsA[i], wordsB[i], StringComparison.Ordinal))
                    {
                        if (differing >= 0)
                        {
                            return Far;
                        }

                        differing = i;
                    }
                }

                var x = wordsA[differing];
                var y = wordsB[differing];
                if (x.Length < 4 || y.Length < 4 || HasDigit(x) || HasDigit(y))
                {
                    return Far;
                }

                return IsOneEdit(x, y) ? OneCharacter : Far;
            }

            /// <summary>The lower-case words of a key: split at separators, lower-to-upper changes and letter/digit changes.</summary>
            public static List<string> Words(string key)
            {
                var words = new List<string>();
                var current = new System.Text.StringBuilder();
                for (var i = 0; i < key.Length; i++)
                {
                    var c = key[i];
                    if (!char.IsLetterOrDigit(c))
                    {
                        Flush(words, current);
                        continue;
                    }

                    if (current.Length > 0)
                    {
                        var previous = key[i - 1];
                        var boundary = (char.IsLower(previous) && char.IsUpper(c))
                            || (char.IsLetter(previous) && char.IsDigit(c))
                            || (char.IsDigit(previous) && char.IsLetter(c))
                            || (char.IsUpper(previous) && char.IsUpper(c) && i + 1 < key.Length && char.IsLower(key[i + 1]));
                        if (boundary)
                        {
                            Flush(words, current);
                        }
                    }

                    current.Append(char.ToLowerInvariant(c));
                }

                Flush(words, current);
                return words;
            }

            private static void Flush(List<string> words, System.Text.StringBuilder current)
            {
                if (current.Length > 0)
                {
                    words.Add(current.ToString());
                    current.Clear();
                }
            }

            private static bool HasDigit(string word)
            {
                foreach (var c in word)
                {
                    if (char.IsDigit(c))
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>One substitution, swap of two neighbours, or insertion or deletion that is not at either end.</summary>
            private static bool IsOneEdit(string x, string y)
            {
                if (x.Length == y.Length)
                {
                    var first = -1;
                    var count = 0;
                    for (var i = 0; i < x.Length; i++)
                    {
                        if (x[i] != y[i])
                        {
                            if (count == 0)
                            {
                                first = i;
                            }

                            count++;
                        }
                    }

                    return count == 1
                        || (count == 2 && first + 1 < x.Length && x[first] == y[first + 1] && x[first + 1] == y[first]);
                }

                if (Math.Abs(x.Length - y.Length) != 1)
                {
                    return false;
                }

                var longer = x.Length > y.Length ? x : y;
                var shorter = x.Length > y.Length ? y : x;
                var skipped = false;
                for (int i = 0, j = 0; i < longer.Length; i++)
                {
                    if (j < shorter.Length && longer[i] == shorter[j])
                    {
                        j++;
                        continue;
                    }

                    // A letter added at either end of a word is a suffix or a prefix (item/items), not a slip.
                    if (skipped || i == 0 || i == longer.Length - 1)
                    {
                        return false;
                    }

                    skipped = true;
                }

                return true;
            }
        }

        // ------------------------------------------------------------------ collection

        private readonly struct KeySite
        {
            public KeySite(string key, IOperation keyOperation, ISymbol? member)
            {
                Key = key;
                Location = keyOperation.Syntax.GetLocation();
                Member = member;
            }

            public string Key { get; }

            public Location Location { get; }

            /// <summary>The member that contains the site: a read next to a read of the written key is a deliberate fallback.</summary>
            public ISymbol? Member { get; }
        }

        private sealed class State
        {
            private readonly KnownTypes types;
            private readonly INamedTypeSymbol? policy;
            private readonly AnalyzerOptions options;
            private readonly ConcurrentQueue<KeySite> writes = new ConcurrentQueue<KeySite>();
            private readonly ConcurrentQueue<KeySite> reads = new ConcurrentQueue<KeySite>();
            private readonly ConcurrentDictionary<SyntaxTree, KeySchema> byTree = new ConcurrentDictionary<SyntaxTree, KeySchema>();
            private readonly ConcurrentDictionary<string, KeySchema> byValue = new ConcurrentDictionary<string, KeySchema>(StringComparer.Ordinal);

            /// <summary>The key of <see cref="byValue"/> when the option is absent (a value no option can have).</summary>
            private const string NoOption = "\0";

            public State(KnownTypes types, Compilation compilation, AnalyzerOptions options)
            {
                this.types = types;
                this.options = options;
                policy = types.HasRuntime ? compilation.GetTypeByMetadataName(CTX301SensitiveBaggageAnalyzer.BaggagePolicyMetadataName) : null;
            }

            private KeySchema GetSchema(SyntaxTree tree, CancellationToken cancellationToken)
            {
                if (byTree.TryGetValue(tree, out var cached))
                {
                    return cached;
                }

                options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(SchemaOption, out var value);
                var schema = byValue.GetOrAdd(value ?? NoOption, v => KeySchema.Load(v == NoOption ? null : v, options.AdditionalFiles, cancellationToken));
                return byTree.GetOrAdd(tree, schema);
            }

            public void AnalyzeInvocation(OperationAnalysisContext context)
            {
                var invocation = (IInvocationOperation)context.Operation;
                var method = invocation.TargetMethod;
                var name = method.Name;
                var containing = method.ContainingType;
                if (containing is null)
                {
                    return;
                }

                var isBaggage = types.Baggage is not null && SymbolEqualityComparer.Default.Equals(containing, types.Baggage);
                var isActivity = !isBaggage && types.Activity is not null && SymbolEqualityComparer.Default.Equals(containing, types.Activity);
                var isRuntime = !isBaggage && !isActivity && name == "SetBaggage"
                    && (SymbolEqualityComparer.Default.Equals(containing, types.ContextScope) || (policy is not null && SymbolEqualityComparer.Default.Equals(containing, policy)));
                if (!isBaggage && !isActivity && !isRuntime)
                {
                    return;
                }

                switch (name)
                {
                    case "SetBaggage":
                    case "AddBaggage" when isActivity:
                    case "Create" when isBaggage:
                        CollectWrites(context, invocation);
                        return;
                    case "GetBaggage" when isBaggage:
                    case "GetBaggageItem" when isActivity:
                        CollectRead(context, invocation);
                        return;
                }
            }

            private void CollectWrites(OperationAnalysisContext context, IInvocationOperation invocation)
            {
                List<IOperation>? keys = null;
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter is not { } parameter || argument.ArgumentKind == ArgumentKind.DefaultValue)
                    {
                        continue;
                    }

                    if (parameter.Type.SpecialType == SpecialType.System_String)
                    {
                        if (parameter.Name is "name" or "key")
                        {
                            (keys ??= new List<IOperation>()).Add(argument.Value);
                        }

                        continue;
                    }

                    if (types.Baggage is not null && SymbolEqualityComparer.Default.Equals(parameter.Type, types.Baggage))
                    {
                        continue;
                    }

                    CollectCollectionKeys(argument.Value, keys ??= new List<IOperation>());
                }

                if (keys is null)
                {
                    return;
                }

                KeySchema? schema = null;
                foreach (var keyOperation in keys)
                {
                    if (ConstantString(keyOperation) is not { Length: > 0 } key)
                    {
                        continue;
                    }

                    writes.Enqueue(new KeySite(key, keyOperation, context.ContainingSymbol));
                    schema ??= GetSchema(invocation.Syntax.SyntaxTree, context.CancellationToken);
                    // A key that is not a W3C token can never be listed: CTX303 reports it.
                    if (!schema.IsEmpty && !schema.Declares(key) && BaggageLimits.IsToken(key))
                    {
                        ReportNotInSchema(context, keyOperation, key, schema);
                    }
                }
            }

            private static void ReportNotInSchema(OperationAnalysisContext context, IOperation keyOperation, string key, KeySchema schema)
            {
                string? closest = null;
                var best = KeyDistance.Far;
                var tie = false;
                foreach (var listed in schema.Keys.Keys)
                {
                    var distance = KeyDistance.Between(key, listed);
                    if (distance < best)
                    {
                        best = distance;
                        closest = listed;
                        tie = false;
                    }
                    else if (distance == best && distance != KeyDistance.Far)
                    {
                        tie = true;
                    }
                }

                if (closest is not null && !tie)
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.BaggageKeyNotInSchemaCloseTo,
                        keyOperation.Syntax.GetLocation(),
                        new[] { schema.Keys[closest] },
                        ImmutableDictionary<string, string?>.Empty.Add(KeyProperty, closest),
                        key,
                        closest));
                    return;
                }

                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.BaggageKeyNotInSchema,
                    keyOperation.Syntax.GetLocation(),
                    key));
            }

            private void CollectRead(OperationAnalysisContext context, IInvocationOperation invocation)
            {
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter is { Type.SpecialType: SpecialType.System_String })
                    {
                        if (ConstantString(argument.Value) is { Length: > 0 } key)
                        {
                            reads.Enqueue(new KeySite(key, argument.Value, context.ContainingSymbol));
                        }

                        return;
                    }
                }

                // GetBaggage() returns the dictionary: GetBaggage()["k"], .TryGetValue("k", out v), .ContainsKey("k").

                IOperation value = invocation;
                while (value.Parent is IConversionOperation)
                {
                    value = value.Parent;
                }

                IOperation? keyOperation = value.Parent switch
                {
                    IPropertyReferenceOperation { Arguments.Length: 1 } indexer when indexer.Instance == value => indexer.Arguments[0].Value,
                    IInvocationOperation { TargetMethod.Name: "TryGetValue" or "ContainsKey", Arguments.Length: >= 1 } call when call.Instance == value => call.Arguments[0].Value,
                    IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { Name: "GetValueOrDefault", IsExtensionMethod: true }, Arguments.Length: >= 2 } call } receiver
                        when call.Arguments[0] == receiver => call.Arguments[1].Value,
                    _ => null,
                };
                if (ConstantString(keyOperation) is { Length: > 0 } dictionaryKey)
                {
                    reads.Enqueue(new KeySite(dictionaryKey, keyOperation!, context.ContainingSymbol));
                }
            }

            /// <summary>The keys of a dictionary or pair collection built in place (initializers, arrays, collection expressions).</summary>
            private static void CollectCollectionKeys(IOperation operation, List<IOperation> keys)
            {
                operation = Unwrap(operation);
                switch (operation)
                {
                    case IArrayCreationOperation { Initializer: { } init }:
                        foreach (var element in init.ElementValues)
                        {
                            CollectPairKey(element, keys);
                        }

                        return;
                    case IObjectCreationOperation { Initializer: { } init }:
                        foreach (var initializer in init.Initializers)
                        {
                            switch (initializer)
                            {
                                case IInvocationOperation add when add.Arguments.Length == 2:
                                    keys.Add(add.Arguments[0].Value);
                                    break;
                                case IInvocationOperation add when add.Arguments.Length == 1:
                                    CollectPairKey(add.Arguments[0].Value, keys);
                                    break;
                                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Arguments.Length: 1 } indexer }:
                                    keys.Add(indexer.Arguments[0].Value);
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
                            CollectPairKey(elementOperation, keys);
                        }
                    }
                }
            }

            private static void CollectPairKey(IOperation operation, List<IOperation> keys)
            {
                operation = Unwrap(operation);
                switch (operation)
                {
                    case IObjectCreationOperation creation when creation.Arguments.Length == 2 && creation.Type?.Name == "KeyValuePair":
                        keys.Add(creation.Arguments[0].Value);
                        break;
                    case IInvocationOperation create when create.Arguments.Length == 2 && create.TargetMethod.Name == "Create" && create.TargetMethod.ContainingType?.Name == "KeyValuePair":
                        keys.Add(create.Arguments[0].Value);
                        break;
                }
            }

            // ------------------------------------------------------------------ CTX304

            public void ReportReadsNotWritten(CompilationAnalysisContext context)
            {
                if (reads.IsEmpty)
                {
                    return;
                }

                // The first write of each key (in a stable order: the queue's order depends on threads).
                var written = new Dictionary<string, Location>(StringComparer.Ordinal);
                foreach (var write in writes)
                {
                    if (!written.TryGetValue(write.Key, out var known) || Before(write.Location, known))
                    {
                        written[write.Key] = write.Location;
                    }
                }

                // Reads of each key by member: a member that reads 'tenantId' and 'tenant.id' reads both on purpose.
                var readers = new Dictionary<string, HashSet<ISymbol>>(StringComparer.Ordinal);
                foreach (var read in reads)
                {
                    if (read.Member is null)
                    {
                        continue;
                    }

                    if (!readers.TryGetValue(read.Key, out var members))
                    {
                        readers[read.Key] = members = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
                    }

                    members.Add(read.Member);
                }

                foreach (var read in reads)
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    if (written.ContainsKey(read.Key) || read.Location.SourceTree is not { } tree)
                    {
                        continue;
                    }

                    var schema = GetSchema(tree, context.CancellationToken);
                    if (schema.Declares(read.Key))
                    {
                        continue;
                    }

                    string? candidate = null;
                    Location? at = null;
                    var best = KeyDistance.Far;
                    var tie = false;
                    Consider(written);
                    Consider(schema.Keys);
                    if (candidate is null || tie)
                    {
                        continue;
                    }

                    if (read.Member is not null && readers.TryGetValue(candidate, out var members) && members.Contains(read.Member))
                    {
                        continue; // GetBaggage("tenant.id") ?? GetBaggage("tenantId"): a fallback, not a typo
                    }

                    context.ReportDiagnostic(Diagnostic.Create(
                        best == KeyDistance.CaseOrSeparators ? Descriptors.BaggageKeyReadNotWritten : Descriptors.BaggageKeyReadNotWrittenOneCharacter,
                        read.Location,
                        new[] { at! },
                        ImmutableDictionary<string, string?>.Empty.Add(KeyProperty, candidate),
                        read.Key,
                        candidate));

                    void Consider(IEnumerable<KeyValuePair<string, Location>> keys)
                    {
                        foreach (var pair in keys)
                        {
                            var distance = KeyDistance.Between(read.Key, pair.Key);
                            if (distance < best)
                            {
                                best = distance;
                                candidate = pair.Key;
                                at = pair.Value;
                                tie = false;
                            }
                            else if (distance == best && distance != KeyDistance.Far && !string.Equals(candidate, pair.Key, StringComparison.Ordinal))
                            {
                                tie = true;
                            }
                        }
                    }
                }
            }

            private static bool Before(Location a, Location b)
            {
                var byPath = string.CompareOrdinal(a.SourceTree?.FilePath, b.SourceTree?.FilePath);
                return byPath < 0 || (byPath == 0 && a.SourceSpan.Start < b.SourceSpan.Start);
            }

            // ------------------------------------------------------------------ CTX399

            public void ReportInvalidOptions(SyntaxTreeAnalysisContext context)
            {
                var schema = GetSchema(context.Tree, context.CancellationToken);
                if (schema.Errors.IsEmpty)
                {
                    return;
                }

                // Once per file, at the first call that looks like a baggage key read or write (a syntactic scan that runs
                // only when the schema of this file is invalid).
                var root = context.Tree.GetRoot(context.CancellationToken);
                foreach (var node in root.DescendantNodes())
                {
                    if (node is not InvocationExpressionSyntax invocation || KeyCallName(invocation.Expression) is not { } name)
                    {
                        continue;
                    }

                    foreach (var error in schema.Errors)
                    {
                        context.ReportDiagnostic(error.ToDiagnostic(name.GetLocation(), SchemaOption));
                    }

                    return;
                }
            }

            private static SimpleNameSyntax? KeyCallName(ExpressionSyntax expression)
            {
                var name = expression switch
                {
                    MemberAccessExpressionSyntax member => member.Name,
                    MemberBindingExpressionSyntax binding => binding.Name,
                    _ => null,
                };
                switch (name?.Identifier.ValueText)
                {
                    case "SetBaggage":
                    case "AddBaggage":
                    case "GetBaggage":
                    case "GetBaggageItem":
                        return name;
                    case "Create":
                        return expression is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "Baggage" } or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Baggage" } }
                            ? name
                            : null;
                    default:
                        return null;
                }
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
