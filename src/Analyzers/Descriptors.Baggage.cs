using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>CTX3xx — sensitive-looking, oversized and mistyped baggage, and CTX399 for invalid options.</summary>
    internal static partial class Descriptors
    {
        public static readonly DiagnosticDescriptor SensitiveBaggageKey = Create(
            DiagnosticIds.SensitiveBaggageKey,
            "Baggage key looks sensitive",
            "Baggage key '{0}' matches the sensitive entry '{1}', and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            "Baggage travels in plain text on every downstream call, including calls to other teams and vendors. A key whose words name a credential, personal data or payment data (password, token, session id, email, card number, ...) almost always carries that data. Propagate a keyed pseudonym, keep the value local as a span tag, or remove the write. The word list and the .editorconfig options are documented on the rule page.");

        private const string SensitiveBaggageValueTitle = "Baggage value looks sensitive";

        private const string SensitiveBaggageValueDescription = "The value put into baggage reads a member, local or parameter whose name is on the sensitive list, an Authorization or Cookie header, an email/name/phone claim, or a member marked with a data-classification attribute. Baggage is sent in plain text to every downstream service. Propagate a keyed pseudonym, keep the value local as a span tag, or remove the write.";

        /// <summary>CTX302 on a value whose name matches a sensitive entry; the rule's other messages follow.</summary>
        public static readonly DiagnosticDescriptor SensitiveBaggageValue = Create(
            DiagnosticIds.SensitiveBaggageValue,
            SensitiveBaggageValueTitle,
            "Baggage value reads '{0}', which looks sensitive ('{1}' matches the sensitive entry '{2}'), and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            SensitiveBaggageValueDescription);

        public static readonly DiagnosticDescriptor SensitiveBaggageValueIdentityName = Create(
            DiagnosticIds.SensitiveBaggageValue,
            SensitiveBaggageValueTitle,
            "Baggage value reads '{0}', which looks sensitive (the identity's name claim), and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            SensitiveBaggageValueDescription);

        public static readonly DiagnosticDescriptor SensitiveBaggageValueClaim = Create(
            DiagnosticIds.SensitiveBaggageValue,
            SensitiveBaggageValueTitle,
            "Baggage value reads '{0}', which looks sensitive (a claim of type '{1}'), and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            SensitiveBaggageValueDescription);

        public static readonly DiagnosticDescriptor SensitiveBaggageValueHeader = Create(
            DiagnosticIds.SensitiveBaggageValue,
            SensitiveBaggageValueTitle,
            "Baggage value reads '{0}', which looks sensitive (the '{1}' header), and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            SensitiveBaggageValueDescription);

        public static readonly DiagnosticDescriptor SensitiveBaggageValueCookie = Create(
            DiagnosticIds.SensitiveBaggageValue,
            SensitiveBaggageValueTitle,
            "Baggage value reads '{0}', which looks sensitive (the '{1}' cookie), and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            SensitiveBaggageValueDescription);

        public static readonly DiagnosticDescriptor SensitiveBaggageValueClassified = Create(
            DiagnosticIds.SensitiveBaggageValue,
            SensitiveBaggageValueTitle,
            "Baggage value reads '{0}', which looks sensitive ('{1}' is classified [{2}]), and baggage is sent in plain text to every downstream service",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            SensitiveBaggageValueDescription);

        private const string BaggageDroppedDescription = "The .NET OpenTelemetry BaggagePropagator silently skips keys that are not W3C tokens and stops at 180 entries or 8192 bytes (percent-encoding included); nothing is logged. Certain drops (a constant key that is not a token, a constant value over the limit) are reported as warnings; likely drops (baggage set in a loop over headers, claims or query values, values built by serialisation) are reported with Info severity. Use the runtime BaggagePolicy to enforce the limits and count what is dropped. A loop that adds one entry per item (an accumulated Baggage, Activity baggage) grows the same way (Info).";

        private const string BaggageDroppedTitle = "Baggage will be dropped by the propagator";

        /// <summary>CTX303 on a constant key that is not a W3C token; the rule's other messages follow.</summary>
        public static readonly DiagnosticDescriptor BaggageDroppedByPropagator = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "The propagator will drop the key '{0}': it is not a W3C token (spaces, separators such as '/:;=@,' and non-ASCII characters are not allowed), so it is skipped without a log",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        public static readonly DiagnosticDescriptor BaggageEntryOverHeaderLimit = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "The propagator will drop the entry '{0}': it takes {1} bytes once percent-encoded, over the {2}-byte header limit, so no baggage header is sent at all",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        public static readonly DiagnosticDescriptor BaggageValueOverHeaderLimit = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "The propagator will drop this entry: it takes {0} bytes once percent-encoded, over the {1}-byte header limit, so no baggage header is sent at all",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        public static readonly DiagnosticDescriptor BaggageEntrySerialized = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "The propagator will drop the entry '{0}': its value is built by serialisation ({1}), which grows with the data and can pass the {2}-byte header limit",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        public static readonly DiagnosticDescriptor BaggageValueSerialized = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "The propagator will drop this entry: its value is built by serialisation ({0}), which grows with the data and can pass the {1}-byte header limit",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        public static readonly DiagnosticDescriptor BaggageEntryJoinsCollection = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "The propagator will drop the entry '{0}': its value is built by joining a collection ({1}), which grows with the data and can pass the {2}-byte header limit",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        public static readonly DiagnosticDescriptor BaggageValueJoinsCollection = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "The propagator will drop this entry: its value is built by joining a collection ({0}), which grows with the data and can pass the {1}-byte header limit",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        public static readonly DiagnosticDescriptor BaggageSetInUnboundedLoop = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "The propagator will drop entries set in this loop: the loop over '{0}' is unbounded and the propagator stops at {1} entries or {2} bytes",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        /// <summary>CTX303 on <c>baggage = baggage.SetBaggage(key, ..)</c> with a key that changes per iteration of a loop.</summary>
        public static readonly DiagnosticDescriptor BaggageAccumulatesInLoop = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "This loop adds a baggage entry per iteration, so the baggage grows with the data and the propagator stops at 180 entries or 8192 bytes, dropping the rest without a log",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        /// <summary>CTX303 on <c>activity.AddBaggage(key, ..)</c> with a key that changes per iteration of a loop.</summary>
        public static readonly DiagnosticDescriptor ActivityBaggageAccumulatesInLoop = Create(
            DiagnosticIds.BaggageDroppedByPropagator,
            BaggageDroppedTitle,
            "This loop adds an activity baggage entry per iteration, so the baggage every child activity inherits and every outgoing call carries grows with the data",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageDroppedDescription);

        private const string BaggageKeyReadNotWrittenTitle = "Baggage key read looks like a typo of a written key";

        private const string BaggageKeyReadNotWrittenDescription = "Baggage keys are compared ordinally: a read of 'tenant-id' never sees a value written as 'tenant.id' or 'TenantId', and it returns null without an error, so the value silently stops propagating. A constant key that is read but never written in the compilation, and that differs from a written key (or a key of the team's baggage key schema) only by case, separators or one character, is reported with the written key. Keys listed in the schema are never reported as unwritten.";

        /// <summary>CTX304 on a read whose key differs from a written one only by case or separators.</summary>
        public static readonly DiagnosticDescriptor BaggageKeyReadNotWritten = Create(
            DiagnosticIds.BaggageKeyReadNotWritten,
            BaggageKeyReadNotWrittenTitle,
            "Baggage key '{0}' is read here but nothing in this project writes it, and '{1}' is written: the keys differ only by case or separators, and baggage keys are compared ordinally",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageKeyReadNotWrittenDescription,
            isEnabledByDefault: true,
            WellKnownDiagnosticTags.CompilationEnd);

        /// <summary>CTX304 on a read whose key differs from a written one by one character.</summary>
        public static readonly DiagnosticDescriptor BaggageKeyReadNotWrittenOneCharacter = Create(
            DiagnosticIds.BaggageKeyReadNotWritten,
            BaggageKeyReadNotWrittenTitle,
            "Baggage key '{0}' is read here but nothing in this project writes it, and '{1}' is written: the keys differ by one character",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageKeyReadNotWrittenDescription,
            isEnabledByDefault: true,
            WellKnownDiagnosticTags.CompilationEnd);

        private const string BaggageKeyNotInSchemaTitle = "Baggage key is not in the team's key schema";

        private const string BaggageKeyNotInSchemaDescription = "The project declares the baggage keys it may write in a key schema (an AdditionalFiles item named baggage-keys.txt, or the file named by ctx_analyzers.baggage_key_schema): one key or key prefix per line. A constant key written that is neither listed nor under a listed prefix is reported; when a listed key is close (case, separators, one character), the fix renames the key to it. This is not ctx_analyzers.allowed_baggage_keys, which only exempts keys from the sensitive-key check (CTX301).";

        /// <summary>CTX305 on a written key that no entry of the schema is close to.</summary>
        public static readonly DiagnosticDescriptor BaggageKeyNotInSchema = Create(
            DiagnosticIds.BaggageKeyNotInSchema,
            BaggageKeyNotInSchemaTitle,
            "Baggage key '{0}' is not in the baggage key schema (add it to the schema file if the team agreed on it)",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageKeyNotInSchemaDescription);

        /// <summary>CTX305 on a written key close to one entry of the schema.</summary>
        public static readonly DiagnosticDescriptor BaggageKeyNotInSchemaCloseTo = Create(
            DiagnosticIds.BaggageKeyNotInSchema,
            BaggageKeyNotInSchemaTitle,
            "Baggage key '{0}' is not in the baggage key schema (did you mean '{1}'?)",
            RuleCategories.Baggage,
            DiagnosticSeverity.Warning,
            BaggageKeyNotInSchemaDescription);

        private const string InvalidAnalyzerOptionTitle = "Invalid ContextAnalyzers option";

        private const string InvalidAnalyzerOptionDescription = "A ContextAnalyzers option in .editorconfig (or a line of the baggage key schema file) has a value that cannot be used. The invalid part is ignored and the rest of the option, with the documented defaults, still applies. Reported once per file, at the first baggage write (or, for the key schema, the first baggage key read or write) of a file that the option applies to.";

        /// <summary>CTX399 on a sensitive_words entry that is not a word list; the rule's other messages follow (one per kind of invalid entry).</summary>
        public static readonly DiagnosticDescriptor InvalidAnalyzerOption = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' is not a word list (use '+word' to add, '-word' to remove; letters, digits, spaces, '.', '_' or '-' only)",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionRemovesUnknownWord = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' removes '{2}', which is not a default sensitive entry (see docs/sensitive-words.md)",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionBaggageKey = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' is not a baggage key (a W3C token: no spaces, quotes, '(),/:;<=>?@[\\]{{}}' or non-ASCII characters)",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionNoAdditionalFile = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' names no AdditionalFiles item of the project",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionFileUnreadable = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' could not be read",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionSchemaLine = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: line {1} of '{2}', '{3}', is not a W3C token (or a token followed by '*')",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionDocumentationId = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' is not a documentation ID of a property, field or type (P:, F: or T: followed by the full name)",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionNoSuchMember = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' matches no member of the compilation or its references",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionPropertyNotSettable = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' is not a static property with a setter",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionFieldNotContext = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' is not a static AsyncLocal<T>, ThreadLocal<T> or [ThreadStatic] field",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);

        public static readonly DiagnosticDescriptor InvalidOptionTypeWithoutContext = Create(
            DiagnosticIds.InvalidAnalyzerOption,
            InvalidAnalyzerOptionTitle,
            "Option '{0}' has an invalid value: '{1}' has no static settable property and no static AsyncLocal<T> field",
            RuleCategories.Configuration,
            DiagnosticSeverity.Warning,
            InvalidAnalyzerOptionDescription);
    }
}
