using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// One analyzer for CTX301 (sensitive key), CTX302 (sensitive value), CTX303 (dropped by the propagator) and CTX399
    /// (invalid option), because they share one analysis: find every baggage write, split it into key/value entries, and
    /// check each entry once. One write gets one sensitivity diagnostic: when CTX301 flags the key, CTX302 stays silent on
    /// the same entry. Each rule's checks are in the file named after it; the write discovery and the options are in
    /// <c>CTX30xBaggageWrites.cs</c>.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed partial class CTX301SensitiveBaggageAnalyzer : DiagnosticAnalyzer
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

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.SensitiveBaggageKey,
            Descriptors.SensitiveBaggageValue,
            Descriptors.SensitiveBaggageValueIdentityName,
            Descriptors.SensitiveBaggageValueClaim,
            Descriptors.SensitiveBaggageValueHeader,
            Descriptors.SensitiveBaggageValueCookie,
            Descriptors.SensitiveBaggageValueClassified,
            Descriptors.BaggageDroppedByPropagator,
            Descriptors.BaggageEntryOverHeaderLimit,
            Descriptors.BaggageValueOverHeaderLimit,
            Descriptors.BaggageEntrySerialized,
            Descriptors.BaggageValueSerialized,
            Descriptors.BaggageEntryJoinsCollection,
            Descriptors.BaggageValueJoinsCollection,
            Descriptors.BaggageSetInUnboundedLoop,
            Descriptors.BaggageAccumulatesInLoop,
            Descriptors.ActivityBaggageAccumulatesInLoop,
            Descriptors.InvalidAnalyzerOption,
            Descriptors.InvalidOptionRemovesUnknownWord,
            Descriptors.InvalidOptionBaggageKey);

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

        private sealed partial class Analysis
        {
            // ------------------------------------------------------------------ CTX301

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

                CheckSensitiveValue(context, invocation, entry, options, writeKind);
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
        }
    }
}
