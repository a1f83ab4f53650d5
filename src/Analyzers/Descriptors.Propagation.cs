using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>CTX4xx — propagation wiring: extracted contexts that go nowhere, propagators that drop baggage.</summary>
    internal static partial class Descriptors
    {
        private const string CTX401Description = "TextMapPropagator.Extract only parses the carrier: the PropagationContext it returns does nothing until its ActivityContext parents the next activity and its Baggage becomes current. A result that is thrown away, or stored and never read, means the remote trace and baggage stop here.";

        /// <summary>CTX401 on an Extract whose result is thrown away.</summary>
        public static readonly DiagnosticDescriptor CTX401ExtractedContextDiscarded = Create(
            DiagnosticIds.ExtractedContextDiscarded,
            "Extracted context is discarded",
            "The context returned by Extract is thrown away",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            CTX401Description);

        /// <summary>CTX401 on an Extract whose result is stored in a local that is never read.</summary>
        public static readonly DiagnosticDescriptor CTX401ExtractedContextNeverUsed = Create(
            DiagnosticIds.ExtractedContextDiscarded,
            "Extracted context is discarded",
            "The context returned by Extract is stored in '{0}' and never used",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            CTX401Description);

        public static readonly DiagnosticDescriptor CTX402ActivityStartedWithoutExtractedParent = Create(
            DiagnosticIds.ActivityStartedWithoutExtractedParent,
            "Activity started without the extracted parent",
            "'{0}' ignores the context extracted into '{1}'",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            "The method extracts a remote context but starts its activity without that context's ActivityContext as parent (or link), so the activity joins whatever Activity.Current is, or starts a new trace; or it reads ambient baggage although the extracted baggage was never made current.");

        public static readonly DiagnosticDescriptor CTX403ExtractIgnoresCarrier = Create(
            DiagnosticIds.ExtractIgnoresCarrier,
            "Extract ignores the carrier",
            "Extract returns this context unchanged when it is already valid, without reading the carrier; pass 'default'",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            "TraceContextPropagator.Extract returns its first argument unchanged when that context already has a valid ActivityContext, and BaggagePropagator does the same when it carries baggage: the carrier's traceparent and baggage are never read. Pass 'default' so the carrier decides.");

        private const string CTX404Title = "Baggage propagator is missing";

        private const string CTX404Description = "A bare TraceContextPropagator, or a CompositeTextMapPropagator without a BaggagePropagator, neither writes nor reads the W3C 'baggage' header: baggage set in this process never reaches the next one. Reported on the construction when the code uses that propagator with baggage, or, for the default propagator, when the compilation writes baggage. Computed at the end of the compilation: it shows in builds and full-solution analysis.";

        /// <summary>CTX404 on a propagator that injects baggage; the rule's other messages follow.</summary>
        public static readonly DiagnosticDescriptor CTX404BaggagePropagatorMissing = Create(
            DiagnosticIds.BaggagePropagatorMissing,
            CTX404Title,
            "This propagator has no BaggagePropagator, but it injects baggage",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            CTX404Description,
            true,
            WellKnownDiagnosticTags.CompilationEnd);

        public static readonly DiagnosticDescriptor CTX404ExtractedBaggageRead = Create(
            DiagnosticIds.BaggagePropagatorMissing,
            CTX404Title,
            "This propagator has no BaggagePropagator, but the Baggage of its Extract result is read",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            CTX404Description,
            true,
            WellKnownDiagnosticTags.CompilationEnd);

        public static readonly DiagnosticDescriptor CTX404DefaultPropagatorWithBaggageWrites = Create(
            DiagnosticIds.BaggagePropagatorMissing,
            CTX404Title,
            "This propagator has no BaggagePropagator, but it is the default propagator and this compilation writes baggage",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            CTX404Description,
            true,
            WellKnownDiagnosticTags.CompilationEnd);

        public static readonly DiagnosticDescriptor CTX405DefaultPropagatorCached = Create(
            DiagnosticIds.DefaultPropagatorCached,
            "Default propagator cached before the SDK starts",
            "'{0}' caches Propagators.DefaultTextMapPropagator, which is a no-op propagator until the OpenTelemetry SDK initialises; read it at call time",
            RuleCategories.Propagation,
            DiagnosticSeverity.Info,
            "Propagators.DefaultTextMapPropagator is a no-op until the SDK's Sdk type initialises, then TraceContext + Baggage. A static initializer of the program's entry type, or a value stored in Main before the SDK is set up, runs first and keeps the no-op forever: nothing is injected or extracted.");

        public static readonly DiagnosticDescriptor CTX406DefaultParentIsNotRoot = Create(
            DiagnosticIds.DefaultParentIsNotRoot,
            "'parentContext: default' does not start a root",
            "A default parentContext makes Activity.Current the parent, not a new root; clear Activity.Current around the start to begin a new trace",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            "ActivitySource.StartActivity treats a default ActivityContext as 'no explicit parent' and parents the activity on Activity.Current. Where the code chooses 'default' instead of a real parent or links (another branch of the same choice passes one), a root was meant, but the activity joins the current trace.");

        public static readonly DiagnosticDescriptor CTX407InjectingEmptyContext = Create(
            DiagnosticIds.InjectingEmptyContext,
            "Injecting an empty context",
            "Inject is given a default ActivityContext, so no traceparent is written; inject the current activity's context",
            RuleCategories.Propagation,
            DiagnosticSeverity.Warning,
            "TextMapPropagator.Inject writes no traceparent when the ActivityContext is default: the receiver starts a new trace. Inject the current activity's context (and the current baggage).");
    }
}
