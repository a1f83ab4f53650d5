using System;
using System.Collections.Generic;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// How the helpers read, replace and restore <see cref="Baggage.Current"/>. OpenTelemetry keeps it in a mutable holder
    /// object in the <see cref="RuntimeContext"/> slot <see cref="Name"/>, a holder a child flow shares with its parent.
    /// Neither the slot name nor the holder are public API, so the first use checks that they behave as expected
    /// (<see cref="Probe"/>): a slot that reads as empty when cleared, a fresh holder installed by the next
    /// <c>Baggage.Current = x</c>, the previous baggage back when the previous holder object is reinstalled. When they
    /// do, <see cref="Current"/> works on holder objects (isolation: a scope never writes into a holder it did not create).
    /// When they do not (a future OpenTelemetry changed them), <see cref="Current"/> uses only the public
    /// <see cref="Baggage.Current"/> property: scopes still restore the baggage value they replaced, but a change made
    /// under them is visible to flows sharing the holder, as with plain OpenTelemetry. The fallback is reported once on
    /// the <c>ContextAnalyzers-Runtime</c> event source.
    /// </summary>
    internal abstract class BaggageSlot
    {
        /// <summary>The <see cref="RuntimeContext"/> slot in which OpenTelemetry keeps the baggage holder.</summary>
        public const string Name = "otel.baggage";

        /// <summary>Works on the holder objects of <see cref="Name"/>.</summary>
        public static readonly BaggageSlot Isolating = new HolderSlot();

        /// <summary>Works on <see cref="Baggage.Current"/> values only.</summary>
        public static readonly BaggageSlot PublicApi = new ValueSlot();

        private static BaggageSlot? current;

        private BaggageSlot(bool isolates) => Isolates = isolates;

        /// <summary>Gets the slot access in use in this process, checked once on first use.</summary>
        public static BaggageSlot Current => current ?? Choose();

        /// <summary>Gets a value indicating whether a flow's baggage changes can be isolated from the flows sharing its holder.</summary>
        public bool Isolates { get; }

        /// <summary>
        /// Checks the assumptions on <paramref name="slotName"/> in the calling flow, restoring everything it touches.
        /// Returns <see langword="null"/> when they hold, else what failed. Never throws.
        /// </summary>
        public static string? Probe(string slotName)
        {
            try
            {
                // Reading Current first runs Baggage's static constructor, which registers the slot.
                Baggage before = Baggage.Current;
                object? saved = RuntimeContext.GetValue(slotName);
                try
                {
                    RuntimeContext.SetValue(slotName, null);
                    if (Baggage.Current.Count != 0)
                    {
                        return "a cleared slot does not read as empty baggage";
                    }

                    Baggage.Current = Baggage.Create(new Dictionary<string, string> { ["contextanalyzers.probe"] = "1" });
                    object? holder = RuntimeContext.GetValue(slotName);
                    if (holder is null || ReferenceEquals(holder, saved) || Baggage.Current.GetBaggage("contextanalyzers.probe") != "1")
                    {
                        return "setting Baggage.Current on a cleared slot does not install a holder of its own";
                    }

                    RuntimeContext.SetValue(slotName, saved);
                    if (!Baggage.Current.Equals(before))
                    {
                        return "reinstalling the previous holder does not bring its baggage back";
                    }

                    return null;
                }
                finally
                {
                    RuntimeContext.SetValue(slotName, saved);
                }
            }
            catch (Exception exception)
            {
                return exception.GetType().Name + ": " + exception.Message;
            }
        }

        /// <summary>What is current now, to give back to <see cref="Restore"/> (a holder object, or a boxed baggage value).</summary>
        public abstract object? Capture();

        /// <summary>Reinstalls what <see cref="Capture"/> returned.</summary>
        public abstract void Restore(object? captured);

        /// <summary>Whether two captures denote the same current baggage.</summary>
        public abstract bool Same(object? a, object? b);

        /// <summary>
        /// Makes <paramref name="baggage"/> current in a holder of this flow's own, cut loose from
        /// <paramref name="captured"/> (what is current now, as <see cref="Capture"/> returned it), so that a change made
        /// under it does not reach the flows sharing that holder.
        /// </summary>
        public abstract void UseIsolated(Baggage baggage, object? captured);

        private static BaggageSlot Choose()
        {
            string? failure = Probe(Name);
            BaggageSlot chosen = failure is null ? Isolating : PublicApi;
            if (failure is not null)
            {
                RuntimeEventSource.Log.BaggageSlotFallback(failure);
            }

            // Two first uses may race: both probe, the first answer wins (they agree).
            return System.Threading.Interlocked.CompareExchange(ref current, chosen, null) ?? chosen;
        }

        private sealed class HolderSlot : BaggageSlot
        {
            public HolderSlot()
                : base(isolates: true)
            {
            }

            public override object? Capture() => RuntimeContext.GetValue(Name);

            public override void Restore(object? captured) => RuntimeContext.SetValue(Name, captured);

            public override bool Same(object? a, object? b) => ReferenceEquals(a, b);

            public override void UseIsolated(Baggage baggage, object? captured)
            {
                if (captured is null)
                {
                    // Nothing to cut loose from; empty baggage then needs no holder at all (reads see empty baggage).
                    if (baggage.Count == 0)
                    {
                        return;
                    }
                }
                else
                {
                    RuntimeContext.SetValue(Name, null);
                }

                Baggage.Current = baggage;
            }
        }

        private sealed class ValueSlot : BaggageSlot
        {
            public ValueSlot()
                : base(isolates: false)
            {
            }

            public override object? Capture() => Baggage.Current;

            public override void Restore(object? captured) => Baggage.Current = captured is Baggage baggage ? baggage : default;

            public override bool Same(object? a, object? b)
                => (a is Baggage x ? x : default).Equals(b is Baggage y ? y : default);

            public override void UseIsolated(Baggage baggage, object? captured) => Baggage.Current = baggage;
        }
    }
}
