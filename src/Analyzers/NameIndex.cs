using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers
{
    /// <summary>The identifiers the rules look for before any semantic work (one bit each).</summary>
    [Flags]
    internal enum Names : ulong
    {
        None = 0,
        StartActivity = 1UL << 0,
        CreateActivity = 1UL << 1,
        Start = 1UL << 2,
        Stop = 1UL << 3,
        Dispose = 1UL << 4,
        End = 1UL << 5,
        StartActiveSpan = 1UL << 6,
        StartSpan = 1UL << 7,
        StartRootSpan = 1UL << 8,
        SetBaggage = 1UL << 9,
        AddBaggage = 1UL << 10,
        RemoveBaggage = 1UL << 11,
        ClearBaggage = 1UL << 12,
        Create = 1UL << 13,
        Extract = 1UL << 14,
        Inject = 1UL << 15,
        Current = 1UL << 16,
        CurrentSpan = 1UL << 17,
        SetValue = 1UL << 18,
        WithSpan = 1UL << 19,
        SuppressFlow = 1UL << 20,
        SetDefaultTextMapPropagator = 1UL << 21,
        TraceContextPropagator = 1UL << 22,
        CompositeTextMapPropagator = 1UL << 23,
        UnsafeQueueUserWorkItem = 1UL << 24,
        UnsafeRegisterWaitForSingleObject = 1UL << 25,
        UnsafeStart = 1UL << 26,
        UnsafeRegister = 1UL << 27,
        TryWrite = 1UL << 28,
        WriteAsync = 1UL << 29,
        Add = 1UL << 30,
        TryAdd = 1UL << 31,
        Enqueue = 1UL << 32,
        ContextSlotType = 1UL << 33,
        GetBaggage = 1UL << 34,
        GetBaggageItem = 1UL << 35,
        BeginScope = 1UL << 36,
        Run = 1UL << 37,
        StartNew = 1UL << 38,
        Thread = 1UL << 39,
        Timer = 1UL << 40,

        /// <summary>What starts long-lived work: <c>Task.Run</c>, <c>StartNew</c>, <c>new Thread</c>, a timer.</summary>
        WorkNames = Run | StartNew | Thread | Timer,

        /// <summary>The names an activity or span is ended with.</summary>
        EndNames = Stop | Dispose | End,

        /// <summary>The BCL flow APIs (CTX201, CTX202): rules on them need no telemetry word in the file.</summary>
        FlowNames = SuppressFlow | UnsafeQueueUserWorkItem | UnsafeRegisterWaitForSingleObject | UnsafeStart | UnsafeRegister,
    }

    /// <summary>The anchor words a file spells (see <see cref="NameIndex.Mentions"/>).</summary>
    [Flags]
    internal enum AnchorWords
    {
        None = 0,

        /// <summary><c>Activity</c>, <c>Baggage</c> or <c>Propagat</c>, in any case (or a Unicode escape, which could spell them).</summary>
        Telemetry = 1,

        /// <summary><c>SuppressFlow</c> or <c>Unsafe</c>.</summary>
        Flow = 2,

        /// <summary><c>AsyncLocal</c> or <c>AmbientContext</c>: where a team's own ambient context can be declared.</summary>
        Ambient = 4,
    }

    /// <summary>
    /// A per-syntax-tree index of the identifiers in <see cref="Names"/>, built by one scan of the file's characters (no
    /// binding, no syntax walk) and shared by every analyzer of the package through a weak cache. Rules use it in an
    /// operation block start action to register their operation actions only for the bodies that name a method or
    /// property they match: code that never names <c>StartActivity</c> (or <c>Extract</c>, <c>SetBaggage</c>, ...) costs
    /// one lookup per body and no callback per call. The filter is conservative (a superset): every call or assignment
    /// the rules match spells its member's name in the body (member access, <c>?.</c>, simple name, <c>using static</c>);
    /// names in comments and strings count too, and a Unicode escape makes the file match every name.
    /// </summary>
    internal sealed class NameIndex
    {
        private static readonly ConditionalWeakTable<SyntaxTree, Holder> Cache = new ConditionalWeakTable<SyntaxTree, Holder>();
        private static readonly NameIndex Empty = new NameIndex(Array.Empty<int>(), Array.Empty<Names>(), Names.None);
        private static readonly NameIndex Everything = new NameIndex(Array.Empty<int>(), Array.Empty<Names>(), (Names)ulong.MaxValue);

        private readonly int[] positions;
        private readonly Names[] names;
        private readonly Names all;

        private NameIndex(int[] positions, Names[] names, Names all)
        {
            this.positions = positions;
            this.names = names;
            this.all = all;
        }

        /// <summary>
        /// The words a file spells when it can hold anything the rules match in a compilation that does not reference
        /// OpenTelemetry. Every <c>System.Diagnostics</c> type the rules know is named <c>Activity</c>..., the baggage
        /// members end in <c>Baggage</c>, the propagators contain <c>Propagat</c>: without one of these words (and
        /// without OpenTelemetry, whose <c>Tracer</c> or <c>Baggage.Current</c> can be used without them) only the BCL
        /// flow rules can report, and they start from <c>SuppressFlow</c> or an <c>Unsafe</c>... API.
        /// </summary>
        private static readonly string[] TelemetryWords = { "Activity", "Baggage", "Propagat" };

        private static readonly string[] FlowWords = { "SuppressFlow", "Unsafe" };

        private static readonly string[] AmbientWords = { "AsyncLocal", "AmbientContext" };

        /// <summary>The index of <paramref name="tree"/> (computed once per tree, by one thread: the others wait for it).</summary>
        public static NameIndex Get(SyntaxTree tree, CancellationToken cancellationToken) =>
            Cache.GetValue(tree, static _ => new Holder()).Index(tree, cancellationToken);

        /// <summary>
        /// The anchor words <paramref name="tree"/>'s text spells (a Unicode escape counts as every word): a few
        /// vectorized substring searches, cached per tree.
        /// </summary>
        public static AnchorWords Mentions(SyntaxTree tree, CancellationToken cancellationToken) =>
            Cache.GetValue(tree, static _ => new Holder()).Mentions(tree, cancellationToken);

        /// <summary>The names found in <paramref name="span"/>.</summary>
        public Names In(TextSpan span)
        {
            if (all == Names.None || positions.Length == 0)
            {
                return all;
            }

            var i = Array.BinarySearch(positions, span.Start);
            if (i < 0)
            {
                i = ~i;
            }

            var found = Names.None;
            for (; i < positions.Length && positions[i] < span.End; i++)
            {
                found |= names[i];
            }

            return found;
        }

        /// <summary>
        /// The names found in <paramref name="blocks"/> (their syntax spans). In a compilation without OpenTelemetry, a
        /// file that spells no telemetry word (<see cref="AnchorWords.Telemetry"/>) can only have the BCL flow names
        /// (<see cref="Names.FlowNames"/>), and a file that spells no anchor word at all has none: its index is never
        /// built, and its bodies cost one cached lookup.
        /// </summary>
        public static Names In(ImmutableArray<IOperation> blocks, CancellationToken cancellationToken) => In(blocks, null, cancellationToken);

        /// <summary>
        /// <see cref="In(ImmutableArray{IOperation}, CancellationToken)"/>, with <see cref="KnownTypes.HasOpenTelemetry"/>
        /// of the compilation when the caller knows it (saves a cache lookup per body).
        /// </summary>
        public static Names In(ImmutableArray<IOperation> blocks, bool? openTelemetry, CancellationToken cancellationToken)
        {
            var found = Names.None;
            foreach (var block in blocks)
            {
                var syntax = block.Syntax;
                var tree = syntax.SyntaxTree;
                var holder = Cache.GetValue(tree, static _ => new Holder());
                var wanted = (Names)ulong.MaxValue;
                var mentions = holder.Mentions(tree, cancellationToken);
                if ((mentions & AnchorWords.Telemetry) == 0)
                {
                    // Unknown compilation (no semantic model): no gate.
                    openTelemetry ??= block.SemanticModel is not { } model || KnownTypes.Get(model.Compilation).HasOpenTelemetry;
                    if (!openTelemetry.Value)
                    {
                        if ((mentions & AnchorWords.Flow) == 0)
                        {
                            continue;
                        }

                        wanted = Names.FlowNames;
                    }
                }

                found |= holder.Index(tree, cancellationToken).In(syntax.Span) & wanted;
            }

            return found;
        }

        /// <summary>True when <paramref name="blocks"/> name any of <paramref name="wanted"/>.</summary>
        public static bool Any(ImmutableArray<IOperation> blocks, Names wanted, CancellationToken cancellationToken) => (In(blocks, cancellationToken) & wanted) != Names.None;

        /// <summary>
        /// Registers <paramref name="action"/> for <paramref name="kind"/> only in the operation blocks that name any of
        /// <paramref name="wanted"/>: the replacement of a compilation-wide operation action when the rule's first test
        /// is a method or property name.
        /// </summary>
        public static void RegisterWhereNamed(CompilationStartAnalysisContext start, Names wanted, Action<OperationAnalysisContext> action, OperationKind kind)
        {
            var openTelemetry = KnownTypes.Get(start.Compilation).HasOpenTelemetry;
            start.RegisterOperationBlockStartAction(block =>
            {
                if ((In(block.OperationBlocks, openTelemetry, block.CancellationToken) & wanted) != Names.None)
                {
                    block.RegisterOperationAction(action, kind);
                }
            });
        }

        /// <summary>
        /// One pass over the characters of the file (cheaper than walking its tokens: no red node is created and nothing
        /// is allocated but the result). Every maximal identifier-like run of characters is classified, including those
        /// in comments, strings and inactive regions: a superset of the identifiers, which is what a prefilter needs.
        /// A file with a Unicode escape (<c>\u0053tart</c> spells an identifier without its letters) matches every name.
        /// </summary>
        private static NameIndex Build(SyntaxTree tree, CancellationToken cancellationToken)
        {
            var text = tree.GetText(cancellationToken).ToString();
            List<int>? positions = null;
            List<Names>? names = null;
            var all = Names.None;
            var length = text.Length;
            var i = 0;
            while (i < length)
            {
                var c = text[i];
                if (!IsIdentifierPart(c))
                {
                    if (c == '\\' && i + 1 < length && (text[i + 1] == 'u' || text[i + 1] == 'U'))
                    {
                        return Everything;
                    }

                    i++;
                    continue;
                }

                var runStart = i;
                do
                {
                    i++;
                }
                while (i < length && IsIdentifierPart(text[i]));

                var name = Classify(text, runStart, i - runStart);
                if (name == Names.None)
                {
                    continue;
                }

                positions ??= new List<int>();
                names ??= new List<Names>();
                positions.Add(runStart);
                names.Add(name);
                all |= name;
            }

            return positions is null ? Empty : new NameIndex(positions.ToArray(), names!.ToArray(), all);
        }

        private static bool IsIdentifierPart(char c) => c < 128 ? AsciiIdentifierPart[c] : char.IsLetterOrDigit(c);

        /// <summary>ASCII letters, digits and <c>_</c>: one table load per character instead of four range tests.</summary>
        private static readonly bool[] AsciiIdentifierPart = CreateAsciiTable();

        private static bool[] CreateAsciiTable()
        {
            var table = new bool[128];
            for (var c = 0; c < 128; c++)
            {
                table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            }

            return table;
        }

        private static Names Classify(string text, int start, int length)
        {
            // Length and first character first: most identifiers of a program are rejected by two compares.
            switch (length)
            {
                case 3:
                    return Is(text, start, "End") ? Names.End : Is(text, start, "Add") ? Names.Add : Is(text, start, "Run") ? Names.Run : Names.None;
                case 4:
                    return Is(text, start, "Stop") ? Names.Stop : Names.None;
                case 5:
                    return Is(text, start, "Start") ? Names.Start : Is(text, start, "Timer") ? Names.Timer : Names.None;
                case 6:
                    return Is(text, start, "Create") ? Names.Create : Is(text, start, "Inject") ? Names.Inject : Is(text, start, "TryAdd") ? Names.TryAdd
                        : Is(text, start, "Thread") ? Names.Thread : Names.None;
                case 7:
                    return Is(text, start, "Dispose") ? Names.Dispose : Is(text, start, "Extract") ? Names.Extract : Is(text, start, "Current") ? Names.Current : Is(text, start, "Enqueue") ? Names.Enqueue : Names.None;
                case 8:
                    return Is(text, start, "SetValue") ? Names.SetValue : Is(text, start, "WithSpan") ? Names.WithSpan : Is(text, start, "TryWrite") ? Names.TryWrite
                        : Is(text, start, "StartNew") ? Names.StartNew : Names.None;
                case 9:
                    return Is(text, start, "StartSpan") ? Names.StartSpan : Names.None;
                case 10:
                    return Is(text, start, "SetBaggage") ? Names.SetBaggage : Is(text, start, "AddBaggage") ? Names.AddBaggage : Is(text, start, "WriteAsync") ? Names.WriteAsync
                        : Is(text, start, "GetBaggage") ? Names.GetBaggage : Is(text, start, "BeginScope") ? Names.BeginScope : Names.None;
                case 11:
                    return Is(text, start, "CurrentSpan") ? Names.CurrentSpan : Is(text, start, "UnsafeStart") ? Names.UnsafeStart : Names.None;
                case 12:
                    return Is(text, start, "ClearBaggage") ? Names.ClearBaggage : Is(text, start, "SuppressFlow") ? Names.SuppressFlow : Names.None;
                case 13:
                    return Is(text, start, "StartActivity") ? Names.StartActivity : Is(text, start, "StartRootSpan") ? Names.StartRootSpan : Is(text, start, "RemoveBaggage") ? Names.RemoveBaggage : Names.None;
                case 14:
                    return Is(text, start, "CreateActivity") ? Names.CreateActivity : Is(text, start, "UnsafeRegister") ? Names.UnsafeRegister : Is(text, start, "GetBaggageItem") ? Names.GetBaggageItem : Names.None;
                case 15:
                    return Is(text, start, "StartActiveSpan") ? Names.StartActiveSpan : Is(text, start, "ContextSlotType") ? Names.ContextSlotType : Names.None;
                case 22:
                    return Is(text, start, "TraceContextPropagator") ? Names.TraceContextPropagator : Names.None;
                case 23:
                    return Is(text, start, "UnsafeQueueUserWorkItem") ? Names.UnsafeQueueUserWorkItem : Names.None;
                case 26:
                    return Is(text, start, "CompositeTextMapPropagator") ? Names.CompositeTextMapPropagator : Names.None;
                case 27:
                    return Is(text, start, "SetDefaultTextMapPropagator") ? Names.SetDefaultTextMapPropagator : Names.None;
                case 33:
                    return Is(text, start, "UnsafeRegisterWaitForSingleObject") ? Names.UnsafeRegisterWaitForSingleObject : Names.None;
                default:
                    return Names.None;
            }
        }

        private sealed class Holder
        {
            private const int Unknown = 0, Known = 1 << 8;

            private NameIndex? value;
            private int mentions;

            public NameIndex Index(SyntaxTree tree, CancellationToken cancellationToken)
            {
                var index = Volatile.Read(ref value);
                if (index is not null)
                {
                    return index;
                }

                lock (this)
                {
                    // A cancelled build leaves the holder empty: the next caller builds it.
                    index = value ?? Build(tree, cancellationToken);
                    Volatile.Write(ref value, index);
                    return index;
                }
            }

            public AnchorWords Mentions(SyntaxTree tree, CancellationToken cancellationToken)
            {
                var known = Volatile.Read(ref mentions);
                if (known == Unknown)
                {
                    // Idempotent: two threads may both compute it, and they write the same answer.
                    known = Known | (int)ComputeMentions(tree.GetText(cancellationToken).ToString());
                    Volatile.Write(ref mentions, known);
                }

                return (AnchorWords)(known & ~Known);
            }

            private static AnchorWords ComputeMentions(string text)
            {
                if (text.IndexOf("\\u", StringComparison.Ordinal) >= 0 || text.IndexOf("\\U", StringComparison.Ordinal) >= 0)
                {
                    return AnchorWords.Telemetry | AnchorWords.Flow | AnchorWords.Ambient;
                }

                // Telemetry words in any case: a file that holds an activity only through `var` (from a helper in another
                // file) usually names its variable `activity`.
                return (ContainsAny(text, TelemetryWords, StringComparison.OrdinalIgnoreCase) ? AnchorWords.Telemetry : AnchorWords.None)
                    | (ContainsAny(text, FlowWords, StringComparison.Ordinal) ? AnchorWords.Flow : AnchorWords.None)
                    | (ContainsAny(text, AmbientWords, StringComparison.Ordinal) ? AnchorWords.Ambient : AnchorWords.None);
            }

            private static bool ContainsAny(string text, string[] words, StringComparison comparison)
            {
                foreach (var word in words)
                {
                    if (text.IndexOf(word, comparison) >= 0)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        private static bool Is(string text, int start, string name) =>
            text[start] == name[0] && string.CompareOrdinal(text, start, name, 0, name.Length) == 0;
    }
}
