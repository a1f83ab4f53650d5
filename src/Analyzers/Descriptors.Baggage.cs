using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>CTX3xx — sensitive-looking and oversized baggage (issue 5), and CTX399 for invalid options.</summary>
    internal static partial class Descriptors
    {
        public static readonly DiagnosticDescriptor SensitiveBaggageKey = Create(
            DiagnosticIds.SensitiveBaggageKey,
            "Baggage key looks sensitive",
            "Baggage key '{0}' matches the sensitive entry '{1}', and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            "Baggage travels in plain text on every downstream call, including calls to other teams and vendors. A key whose words name a credential, personal data or payment data (password, token, session id, email, card number, ...) almost always carries that data. Propagate a keyed pseudonym, keep the value local as a span tag, or remove the write. The word list and the .editorconfig options are documented on the rule page.");

        public static readonly DiagnosticDescriptor SensitiveBaggageValue = Create(
            DiagnosticIds.SensitiveBaggageValue,
            "Baggage value looks sensitive",
            "Baggage value reads {0}, which looks sensitive ({1}), and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            "The value put into baggage reads a member, local or parameter whose name is on the sensitive list, an Authorization or Cookie header, an email/name/phone claim, or a member marked with a data-classification attribute. Baggage is sent in plain text to every downstream service. Propagate a keyed pseudonym, keep the value local as a span tag, or remove the write.");

        public static readonly DiagnosticDescriptor BaggageDroppedByPropagator = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            "Baggage will be dropped by the propagator",
            "The propagator will drop {0}: {1}",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            "The .NET OpenTelemetry BaggagePropagator silently skips keys that are not W3C tokens and stops at 180 entries or 8192 bytes (percent-encoding included); nothing is logged. Certain drops (a constant key that is not a token, a constant value over the limit) are reported as warnings; likely drops (baggage set in a loop over headers, claims or query values, values built by serialisation) are reported with Info severity. Use the runtime BaggagePolicy to enforce the limits and count what is dropped.");

        public static readonly DiagnosticDescriptor InvalidAnalyzerOption = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            "Invalid ContextAnalyzers option",
            "Option '{0}' has an invalid value: {1}",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            "A ContextAnalyzers option in .editorconfig has a value that cannot be used. The invalid part is ignored and the rest of the option, with the documented defaults, still applies. Reported once per file, at the first baggage write of a file that the option applies to.");
    }
}
