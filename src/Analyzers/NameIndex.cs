using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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

        /// <summary>A target-typed <c>new(...)</c>: the created type is not named at the creation.</summary>
        ImplicitNew = 1UL << 24,

        /// <summary>The names an activity or span is ended with.</summary>
        EndNames = Stop | Dispose | End,
    }

    /// <summary>
    /// A per-syntax-tree index of the identifiers in <see cref="Names"/>, built by one token scan (no binding) and shared
    /// by every analyzer of the package through a weak cache. Rules use it in an operation block start action to register
    /// their operation actions only for the bodies that name a method or property they match: code that never names
    /// <c>StartActivity</c> (or <c>Extract</c>, <c>SetBaggage</c>, ...) costs one lookup per body and no callback per call.
    /// The filter is conservative: every call the rules match names its method (member access, <c>?.</c>, simple name or
    /// <c>using static</c>), so a body without the name has no such call.
    /// </summary>
    internal sealed class NameIndex
    {
        private static readonly ConditionalWeakTable<SyntaxTree, NameIndex> Cache = new ConditionalWeakTable<SyntaxTree, NameIndex>();
        private static readonly NameIndex Empty = new NameIndex(Array.Empty<int>(), Array.Empty<Names>(), Names.None);

        private readonly int[] positions;
        private readonly Names[] names;
        private readonly Names all;

        private NameIndex(int[] positions, Names[] names, Names all)
        {
            this.positions = positions;
            this.names = names;
            this.all = all;
        }

        /// <summary>The index of <paramref name="tree"/> (computed once per tree).</summary>
        public static NameIndex Get(SyntaxTree tree, CancellationToken cancellationToken)
        {
            if (Cache.TryGetValue(tree, out var index))
            {
                return index;
            }

            index = Build(tree.GetRoot(cancellationToken));
            return Cache.GetValue(tree, _ => index);
        }

        /// <summary>The names found in <paramref name="span"/>.</summary>
        public Names In(TextSpan span)
        {
            if (all == Names.None)
            {
                return Names.None;
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

        /// <summary>The names found in <paramref name="blocks"/> (their syntax spans).</summary>
        public static Names In(ImmutableArray<IOperation> blocks, CancellationToken cancellationToken)
        {
            var found = Names.None;
            foreach (var block in blocks)
            {
                var syntax = block.Syntax;
                found |= Get(syntax.SyntaxTree, cancellationToken).In(syntax.Span);
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
            start.RegisterOperationBlockStartAction(block =>
            {
                if (Any(block.OperationBlocks, wanted, block.CancellationToken))
                {
                    block.RegisterOperationAction(action, kind);
                }
            });
        }

        private static NameIndex Build(SyntaxNode root)
        {
            List<int>? positions = null;
            List<Names>? names = null;
            var all = Names.None;
            foreach (var token in root.DescendantTokens())
            {
                Names name;
                if (token.IsKind(SyntaxKind.IdentifierToken))
                {
                    name = Classify(token.ValueText);
                }
                else if (token.IsKind(SyntaxKind.NewKeyword) && token.Parent is ImplicitObjectCreationExpressionSyntax)
                {
                    name = Names.ImplicitNew;
                }
                else
                {
                    continue;
                }

                if (name == Names.None)
                {
                    continue;
                }

                positions ??= new List<int>();
                names ??= new List<Names>();
                positions.Add(token.SpanStart);
                names.Add(name);
                all |= name;
            }

            return positions is null ? Empty : new NameIndex(positions.ToArray(), names!.ToArray(), all);
        }

        private static Names Classify(string text)
        {
            // Length first: most identifiers of a program are rejected by one integer compare.
            switch (text.Length)
            {
                case 3:
                    return text == "End" ? Names.End : Names.None;
                case 4:
                    return text == "Stop" ? Names.Stop : Names.None;
                case 5:
                    return text == "Start" ? Names.Start : Names.None;
                case 6:
                    return text == "Create" ? Names.Create : text == "Inject" ? Names.Inject : Names.None;
                case 7:
                    return text == "Dispose" ? Names.Dispose : text == "Extract" ? Names.Extract : text == "Current" ? Names.Current : Names.None;
                case 8:
                    return text == "SetValue" ? Names.SetValue : text == "WithSpan" ? Names.WithSpan : Names.None;
                case 9:
                    return text == "StartSpan" ? Names.StartSpan : Names.None;
                case 10:
                    return text == "SetBaggage" ? Names.SetBaggage : text == "AddBaggage" ? Names.AddBaggage : Names.None;
                case 11:
                    return text == "CurrentSpan" ? Names.CurrentSpan : Names.None;
                case 12:
                    return text == "ClearBaggage" ? Names.ClearBaggage : text == "SuppressFlow" ? Names.SuppressFlow : Names.None;
                case 13:
                    return text == "StartActivity" ? Names.StartActivity : text == "RemoveBaggage" ? Names.RemoveBaggage : text == "StartRootSpan" ? Names.StartRootSpan : Names.None;
                case 14:
                    return text == "CreateActivity" ? Names.CreateActivity : Names.None;
                case 15:
                    return text == "StartActiveSpan" ? Names.StartActiveSpan : Names.None;
                case 22:
                    return text == "TraceContextPropagator" ? Names.TraceContextPropagator : Names.None;
                case 26:
                    return text == "CompositeTextMapPropagator" ? Names.CompositeTextMapPropagator : Names.None;
                case 27:
                    return text == "SetDefaultTextMapPropagator" ? Names.SetDefaultTextMapPropagator : Names.None;
                default:
                    return Names.None;
            }
        }
    }
}
