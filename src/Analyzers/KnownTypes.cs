using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>
    /// The types the rules match, resolved by metadata name at most once per compilation, on first use (shared by every
    /// analyzer through a weak cache). The analyzers reference no OpenTelemetry assembly: a type the user's compilation
    /// does not reference resolves to <see langword="null"/>, and rules that need it register nothing.
    /// </summary>
    internal sealed class KnownTypes
    {
        private static readonly ConditionalWeakTable<Compilation, KnownTypes> Cache = new ConditionalWeakTable<Compilation, KnownTypes>();

        /// <summary>The value of a slot whose type the compilation does not have.</summary>
        private static readonly object Missing = new object();

        private int mayUseTelemetry;
        private int referencesOpenTelemetry;

        private readonly object?[] resolved = new object?[42];

        public static KnownTypes Get(Compilation compilation) => Cache.GetValue(compilation, c => new KnownTypes(c));

        private KnownTypes(Compilation compilation)
        {
            Compilation = compilation;
        }

        public Compilation Compilation { get; }

        // System.Diagnostics (DiagnosticSource)
        public INamedTypeSymbol? Activity => Resolve(0, "System.Diagnostics.Activity");
        public INamedTypeSymbol? ActivitySource => Resolve(1, "System.Diagnostics.ActivitySource");
        public INamedTypeSymbol? ActivityContext => Resolve(2, "System.Diagnostics.ActivityContext");
        public INamedTypeSymbol? ActivityLink => Resolve(3, "System.Diagnostics.ActivityLink");

        // OpenTelemetry.Api
        public INamedTypeSymbol? Baggage => Resolve(4, "OpenTelemetry.Baggage");
        public INamedTypeSymbol? RuntimeContext => Resolve(5, "OpenTelemetry.Context.RuntimeContext");
        public INamedTypeSymbol? ThreadLocalRuntimeContextSlot => Resolve(6, "OpenTelemetry.Context.ThreadLocalRuntimeContextSlot`1");
        public INamedTypeSymbol? TextMapPropagator => Resolve(7, "OpenTelemetry.Context.Propagation.TextMapPropagator");
        public INamedTypeSymbol? PropagationContext => Resolve(8, "OpenTelemetry.Context.Propagation.PropagationContext");
        public INamedTypeSymbol? BaggagePropagator => Resolve(9, "OpenTelemetry.Context.Propagation.BaggagePropagator");
        public INamedTypeSymbol? TraceContextPropagator => Resolve(10, "OpenTelemetry.Context.Propagation.TraceContextPropagator");
        public INamedTypeSymbol? CompositeTextMapPropagator => Resolve(11, "OpenTelemetry.Context.Propagation.CompositeTextMapPropagator");
        public INamedTypeSymbol? Propagators => Resolve(12, "OpenTelemetry.Context.Propagation.Propagators");
        public INamedTypeSymbol? Tracer => Resolve(13, "OpenTelemetry.Trace.Tracer");
        public INamedTypeSymbol? TelemetrySpan => Resolve(14, "OpenTelemetry.Trace.TelemetrySpan");
        public INamedTypeSymbol? SpanContext => Resolve(15, "OpenTelemetry.Trace.SpanContext");

        // OpenTelemetry (SDK)
        public INamedTypeSymbol? Sdk => Resolve(16, "OpenTelemetry.Sdk");

        // ContextAnalyzers.Runtime: fixes that rewrite to it are offered only when it resolves.
        public INamedTypeSymbol? ContextScope => Resolve(17, "ContextAnalyzers.Runtime.ContextScope");
        public INamedTypeSymbol? ContextEnvelope => Resolve(18, "ContextAnalyzers.Runtime.ContextEnvelope`1"); // CTX207

        // BCL
        public INamedTypeSymbol? ExecutionContext => Resolve(19, "System.Threading.ExecutionContext");
        public INamedTypeSymbol? AsyncFlowControl => Resolve(20, "System.Threading.AsyncFlowControl");
        public INamedTypeSymbol? ThreadPool => Resolve(21, "System.Threading.ThreadPool");
        public INamedTypeSymbol? Thread => Resolve(22, "System.Threading.Thread");
        public INamedTypeSymbol? ThreadLocal => Resolve(23, "System.Threading.ThreadLocal`1");
        public INamedTypeSymbol? AsyncLocal => Resolve(24, "System.Threading.AsyncLocal`1");
        public INamedTypeSymbol? ThreadStaticAttribute => Resolve(25, "System.ThreadStaticAttribute");
        public INamedTypeSymbol? CancellationToken => Resolve(26, "System.Threading.CancellationToken");
        public INamedTypeSymbol? ThreadingTimer => Resolve(27, "System.Threading.Timer");
        public INamedTypeSymbol? TimersTimer => Resolve(28, "System.Timers.Timer");
        public INamedTypeSymbol? Task => Resolve(29, "System.Threading.Tasks.Task");
        public INamedTypeSymbol? TaskOfT => Resolve(30, "System.Threading.Tasks.Task`1");
        public INamedTypeSymbol? ValueTask => Resolve(31, "System.Threading.Tasks.ValueTask");
        public INamedTypeSymbol? ValueTaskOfT => Resolve(32, "System.Threading.Tasks.ValueTask`1");
        public INamedTypeSymbol? TaskFactory => Resolve(33, "System.Threading.Tasks.TaskFactory");
        public INamedTypeSymbol? Parallel => Resolve(34, "System.Threading.Tasks.Parallel");
        public INamedTypeSymbol? IDisposable => Resolve(35, "System.IDisposable");
        public INamedTypeSymbol? ChannelWriter => Resolve(36, "System.Threading.Channels.ChannelWriter`1"); // CTX207
        public INamedTypeSymbol? ChannelReader => Resolve(37, "System.Threading.Channels.ChannelReader`1"); // CTX207
        public INamedTypeSymbol? BlockingCollection => Resolve(38, "System.Collections.Concurrent.BlockingCollection`1"); // CTX207
        public INamedTypeSymbol? ConcurrentQueue => Resolve(39, "System.Collections.Concurrent.ConcurrentQueue`1"); // CTX207
        public INamedTypeSymbol? ILogger => Resolve(40, "Microsoft.Extensions.Logging.ILogger");
        public INamedTypeSymbol? LoggerExtensions => Resolve(41, "Microsoft.Extensions.Logging.LoggerExtensions");

        /// <summary>The known types of the compilation <paramref name="operation"/> was bound in (null for a detached tree).</summary>
        public static KnownTypes? Of(IOperation operation) => operation.SemanticModel is { } model ? Get(model.Compilation) : null;

        /// <summary><paramref name="type"/> is <paramref name="known"/> (false when the compilation does not have it).</summary>
        public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known)
            => known is not null && SymbolEqualityComparer.Default.Equals(type?.OriginalDefinition, known);

        /// <summary>True when the compilation can see OpenTelemetry's API or .NET's ActivitySource.</summary>
        public bool UsesTelemetry => Activity is not null || Baggage is not null || RuntimeContext is not null;

        /// <summary>
        /// True when the compilation references OpenTelemetry's API (its context, baggage or tracing types): code can then
        /// use context without spelling any <c>System.Diagnostics</c> name, so <see cref="NameIndex"/> gates no file.
        /// </summary>
        public bool HasOpenTelemetry => Baggage is not null || RuntimeContext is not null || Tracer is not null || TextMapPropagator is not null;

        /// <summary>
        /// True when the compilation references OpenTelemetry, or one of its files spells a telemetry word
        /// (<c>Activity</c>, <c>Baggage</c>, <c>Propagat</c>: see <see cref="NameIndex"/>). When false, no rule but the BCL
        /// flow rules (CTX201, CTX202) can report anything, and the others register nothing: a compilation that does not
        /// use OpenTelemetry or ActivitySource costs them one cached substring check per file. Computed once per
        /// compilation; the per-file answers are cached on the syntax trees, which the IDE reuses across edits.
        /// </summary>
        public bool MayUseTelemetry(CancellationToken cancellationToken)
        {
            var known = Volatile.Read(ref mayUseTelemetry);
            if (known == 0)
            {
                // Most rules ask at compilation start, at the same moment: one of them scans, the others wait for its
                // answer instead of scanning every file again. A cancelled scan leaves the answer unknown.
                lock (resolved)
                {
                    known = mayUseTelemetry;
                    if (known == 0)
                    {
                        known = ComputeMayUseTelemetry(cancellationToken) ? 2 : 1;
                        Volatile.Write(ref mayUseTelemetry, known);
                    }
                }
            }

            return known == 2;
        }

        private bool ComputeMayUseTelemetry(CancellationToken cancellationToken)
        {
            if (HasOpenTelemetry)
            {
                return true;
            }

            foreach (var tree in Compilation.SyntaxTrees)
            {
                if ((NameIndex.Mentions(tree, cancellationToken) & AnchorWords.Telemetry) != 0)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True when the user's compilation references ContextAnalyzers.Runtime.</summary>
        public bool HasRuntime => ContextScope is not null;

        /// <summary>
        /// The type at <paramref name="slot"/>, resolved on first use: a rule that bails out on its first missing type
        /// (every OpenTelemetry rule in a compilation without OpenTelemetry) resolves one name, not the whole list. Two
        /// threads may resolve the same name at once; they get the same symbol.
        /// </summary>
        private INamedTypeSymbol? Resolve(int slot, string metadataName)
        {
            var value = Volatile.Read(ref resolved[slot]);
            if (value is null)
            {
                // The first lookup by metadata name in a compilation visits every referenced assembly (tens of
                // milliseconds with the shared framework's 170): skip it for OpenTelemetry's types when no OpenTelemetry
                // assembly is referenced (or compiled: the assembly's own name).
                value = metadataName.StartsWith(OpenTelemetryPrefix, StringComparison.Ordinal) && !ReferencesOpenTelemetry
                    ? Missing
                    : (object?)Compilation.GetTypeByMetadataName(metadataName) ?? Missing;
                Volatile.Write(ref resolved[slot], value);
            }

            return value as INamedTypeSymbol;
        }

        private const string OpenTelemetryPrefix = "OpenTelemetry.";

        /// <summary>True when the compilation is or references an assembly named <c>OpenTelemetry</c>...</summary>
        private bool ReferencesOpenTelemetry
        {
            get
            {
                var known = Volatile.Read(ref referencesOpenTelemetry);
                if (known == 0)
                {
                    known = IsOpenTelemetry(Compilation.AssemblyName) || Compilation.ReferencedAssemblyNames.Any(a => IsOpenTelemetry(a.Name)) ? 2 : 1;
                    Volatile.Write(ref referencesOpenTelemetry, known);
                }

                return known == 2;
            }
        }

        private static bool IsOpenTelemetry(string? assemblyName) =>
            assemblyName is not null && assemblyName.StartsWith("OpenTelemetry", StringComparison.Ordinal);
    }
}
