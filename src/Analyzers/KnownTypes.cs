using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>
    /// The types the rules match, resolved by metadata name once per compilation (shared by every analyzer
    /// through a weak cache). The analyzers reference no OpenTelemetry assembly: a type the user's compilation
    /// does not reference resolves to <see langword="null"/>, and rules that need it register nothing.
    /// </summary>
    internal sealed class KnownTypes
    {
        private static readonly ConditionalWeakTable<Compilation, KnownTypes> Cache = new ConditionalWeakTable<Compilation, KnownTypes>();

        public static KnownTypes Get(Compilation compilation) => Cache.GetValue(compilation, c => new KnownTypes(c));

        private KnownTypes(Compilation compilation)
        {
            Compilation = compilation;

            // System.Diagnostics (DiagnosticSource)
            Activity = Resolve("System.Diagnostics.Activity");
            ActivitySource = Resolve("System.Diagnostics.ActivitySource");
            ActivityContext = Resolve("System.Diagnostics.ActivityContext");
            ActivityLink = Resolve("System.Diagnostics.ActivityLink");

            // OpenTelemetry.Api
            Baggage = Resolve("OpenTelemetry.Baggage");
            RuntimeContext = Resolve("OpenTelemetry.Context.RuntimeContext");
            ThreadLocalRuntimeContextSlot = Resolve("OpenTelemetry.Context.ThreadLocalRuntimeContextSlot`1");
            TextMapPropagator = Resolve("OpenTelemetry.Context.Propagation.TextMapPropagator");
            PropagationContext = Resolve("OpenTelemetry.Context.Propagation.PropagationContext");
            BaggagePropagator = Resolve("OpenTelemetry.Context.Propagation.BaggagePropagator");
            TraceContextPropagator = Resolve("OpenTelemetry.Context.Propagation.TraceContextPropagator");
            CompositeTextMapPropagator = Resolve("OpenTelemetry.Context.Propagation.CompositeTextMapPropagator");
            Propagators = Resolve("OpenTelemetry.Context.Propagation.Propagators");
            Tracer = Resolve("OpenTelemetry.Trace.Tracer");
            TelemetrySpan = Resolve("OpenTelemetry.Trace.TelemetrySpan");
            SpanContext = Resolve("OpenTelemetry.Trace.SpanContext");

            // OpenTelemetry (SDK)
            Sdk = Resolve("OpenTelemetry.Sdk");

            // ContextAnalyzers.Runtime: fixes that rewrite to it are offered only when it resolves.
            ContextScope = Resolve("ContextAnalyzers.Runtime.ContextScope");
            ContextEnvelope = Resolve("ContextAnalyzers.Runtime.ContextEnvelope`1"); // issue 4 (CTX207)

            // BCL
            ExecutionContext = Resolve("System.Threading.ExecutionContext");
            AsyncFlowControl = Resolve("System.Threading.AsyncFlowControl");
            ThreadPool = Resolve("System.Threading.ThreadPool");
            Thread = Resolve("System.Threading.Thread");
            ThreadLocal = Resolve("System.Threading.ThreadLocal`1");
            AsyncLocal = Resolve("System.Threading.AsyncLocal`1");
            ThreadStaticAttribute = Resolve("System.ThreadStaticAttribute");
            CancellationToken = Resolve("System.Threading.CancellationToken");
            ThreadingTimer = Resolve("System.Threading.Timer");
            TimersTimer = Resolve("System.Timers.Timer");
            Task = Resolve("System.Threading.Tasks.Task");
            TaskOfT = Resolve("System.Threading.Tasks.Task`1");
            ValueTask = Resolve("System.Threading.Tasks.ValueTask");
            ValueTaskOfT = Resolve("System.Threading.Tasks.ValueTask`1");
            TaskFactory = Resolve("System.Threading.Tasks.TaskFactory");
            Parallel = Resolve("System.Threading.Tasks.Parallel");
            IDisposable = Resolve("System.IDisposable");
            ChannelWriter = Resolve("System.Threading.Channels.ChannelWriter`1"); // issue 4 (CTX207)
            ChannelReader = Resolve("System.Threading.Channels.ChannelReader`1"); // issue 4 (CTX207)
            BlockingCollection = Resolve("System.Collections.Concurrent.BlockingCollection`1"); // issue 4 (CTX207)
            ConcurrentQueue = Resolve("System.Collections.Concurrent.ConcurrentQueue`1"); // issue 4 (CTX207)
        }

        public Compilation Compilation { get; }

        public INamedTypeSymbol? Activity { get; }
        public INamedTypeSymbol? ActivitySource { get; }
        public INamedTypeSymbol? ActivityContext { get; }
        public INamedTypeSymbol? ActivityLink { get; }

        public INamedTypeSymbol? Baggage { get; }
        public INamedTypeSymbol? RuntimeContext { get; }
        public INamedTypeSymbol? ThreadLocalRuntimeContextSlot { get; }
        public INamedTypeSymbol? TextMapPropagator { get; }
        public INamedTypeSymbol? PropagationContext { get; }
        public INamedTypeSymbol? BaggagePropagator { get; }
        public INamedTypeSymbol? TraceContextPropagator { get; }
        public INamedTypeSymbol? CompositeTextMapPropagator { get; }
        public INamedTypeSymbol? Propagators { get; }
        public INamedTypeSymbol? Tracer { get; }
        public INamedTypeSymbol? TelemetrySpan { get; }
        public INamedTypeSymbol? SpanContext { get; }
        public INamedTypeSymbol? Sdk { get; }

        public INamedTypeSymbol? ContextScope { get; }
        public INamedTypeSymbol? ContextEnvelope { get; }

        public INamedTypeSymbol? ExecutionContext { get; }
        public INamedTypeSymbol? AsyncFlowControl { get; }
        public INamedTypeSymbol? ThreadPool { get; }
        public INamedTypeSymbol? Thread { get; }
        public INamedTypeSymbol? ThreadLocal { get; }
        public INamedTypeSymbol? AsyncLocal { get; }
        public INamedTypeSymbol? ThreadStaticAttribute { get; }
        public INamedTypeSymbol? CancellationToken { get; }
        public INamedTypeSymbol? ThreadingTimer { get; }
        public INamedTypeSymbol? TimersTimer { get; }
        public INamedTypeSymbol? Task { get; }
        public INamedTypeSymbol? TaskOfT { get; }
        public INamedTypeSymbol? ValueTask { get; }
        public INamedTypeSymbol? ValueTaskOfT { get; }
        public INamedTypeSymbol? TaskFactory { get; }
        public INamedTypeSymbol? Parallel { get; }
        public INamedTypeSymbol? IDisposable { get; }
        public INamedTypeSymbol? ChannelWriter { get; }
        public INamedTypeSymbol? ChannelReader { get; }
        public INamedTypeSymbol? BlockingCollection { get; }
        public INamedTypeSymbol? ConcurrentQueue { get; }

        /// <summary>True when the compilation can see OpenTelemetry's API or .NET's ActivitySource.</summary>
        public bool UsesTelemetry => Activity is not null || Baggage is not null || RuntimeContext is not null;

        /// <summary>
        /// True when the compilation references OpenTelemetry's API (its context, baggage or tracing types): code can then
        /// use context without spelling any <c>System.Diagnostics</c> name, so <see cref="NameIndex"/> gates no file.
        /// </summary>
        public bool HasOpenTelemetry => Baggage is not null || RuntimeContext is not null || Tracer is not null || TextMapPropagator is not null;

        /// <summary>True when the user's compilation references ContextAnalyzers.Runtime.</summary>
        public bool HasRuntime => ContextScope is not null;

        private INamedTypeSymbol? Resolve(string metadataName) => Compilation.GetTypeByMetadataName(metadataName);
    }
}
