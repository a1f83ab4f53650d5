namespace ContextAnalyzers
{
    /// <summary>
    /// Every rule ID in one place. An ID is never reused: a retired rule keeps its number forever
    /// (move it to a "Removed" comment below, never delete the constant's history).
    /// </summary>
    public static class DiagnosticIds
    {
        // CTX1xx — attach without detach
        public const string AmbientContextNotRestored = "CTX101";
        public const string ActivityNotEnded = "CTX102";
        public const string SpanEndedByNonOwner = "CTX103";
        public const string BaggageResultDiscarded = "CTX104";
        public const string StaticBaggageCallReplacesCurrent = "CTX105";
        public const string LoggingScopeNotDisposed = "CTX106";

        // CTX2xx — context lost across hops
        public const string WorkQueuedWithoutExecutionContext = "CTX201";
        public const string FlowSuppressionNotUndone = "CTX202";
        public const string ContextInThreadLocalStorage = "CTX203";
        public const string FireAndForgetOutlivesSpan = "CTX204";
        public const string TimerCapturesContext = "CTX205";
        public const string AmbientChangeLostOnReturn = "CTX206";
        public const string QueueHandOffDropsContext = "CTX207";

        // CTX3xx — sensitive-looking and oversized baggage
        public const string SensitiveBaggageKey = "CTX301";
        public const string SensitiveBaggageValue = "CTX302";
        public const string BaggageDroppedByPropagator = "CTX303";
        public const string BaggageKeyReadNotWritten = "CTX304";
        public const string BaggageKeyNotInSchema = "CTX305";
        public const string InvalidAnalyzerOption = "CTX399";

        // CTX4xx — propagation wiring
        public const string ExtractedContextDiscarded = "CTX401";
        public const string ActivityStartedWithoutExtractedParent = "CTX402";
        public const string ExtractIgnoresCarrier = "CTX403";
        public const string BaggagePropagatorMissing = "CTX404";
        public const string DefaultPropagatorCached = "CTX405";
        public const string DefaultParentIsNotRoot = "CTX406";
        public const string InjectingEmptyContext = "CTX407";
    }
}
