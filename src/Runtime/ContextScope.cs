using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using OpenTelemetry;
using OpenTelemetry.Context;
using OpenTelemetry.Context.Propagation;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// A disposable change of ambient OpenTelemetry context (baggage, the current <see cref="Activity"/> or a
    /// <see cref="RuntimeContext"/> slot) that puts back exactly what it replaced when disposed, on any thread,
    /// exceptions included. Use it with <c>using</c>:
    /// <code>
    /// using var scope = ContextScope.SetBaggage("tenant", tenantId);
    /// </code>
    /// </summary>
    /// <remarks>
    /// <para>
    /// <b>Isolation.</b> OpenTelemetry keeps <see cref="Baggage.Current"/> in a mutable holder object that a child flow
    /// (a <c>Task.Run</c> delegate, an awaited call) shares with its parent, so a plain <c>Baggage.SetBaggage</c> in a
    /// child leaks into the parent and its siblings. A baggage scope never writes to a holder it did not create: it
    /// detaches the current flow from the shared holder (<c>RuntimeContext.SetValue("otel.baggage", null)</c>) and then
    /// installs a fresh holder that only this flow, and the flows it starts while the scope is open, can see. Disposing
    /// the scope reinstalls the previous holder object itself.
    /// </para>
    /// <para>
    /// <b>Flow.</b> The storage is the <see cref="ExecutionContext"/> (OpenTelemetry's default
    /// <c>AsyncLocal</c> slots and <see cref="Activity.Current"/>): a scope opened in a task is never visible in a
    /// sibling task, nor in the parent once the child has returned. When <see cref="RuntimeContext.ContextSlotType"/>
    /// is a thread-local slot, scopes follow the thread instead, and must be disposed on the thread that opened them.
    /// </para>
    /// <para>
    /// <b>Disposal.</b> A scope is a small immutable struct and allocates nothing of its own (OpenTelemetry still
    /// allocates the new <see cref="Baggage"/> and its holder). Disposing <see langword="default"/> does nothing, and
    /// disposing a scope twice is harmless: once what it replaced is back, a second <see cref="Dispose"/> changes
    /// nothing. Scopes must be disposed in the reverse order of their creation. When a scope is disposed while the
    /// value it installed is no longer current (a scope opened later is still open, or code inside the scope changed
    /// the context without restoring it), the scope still restores what it replaced (the later changes are
    /// discarded) and reports the mismatch on the <c>ContextAnalyzers-Runtime</c> event source; under strict mode
    /// (<see cref="StrictMode"/>, <see cref="ContextGuard"/>) it is also a CTX103 finding. Being a struct, a scope cannot remember
    /// that a copy of it was disposed: disposing an old copy again after other scopes were opened counts as such a mismatch.
    /// After an out-of-order disposal the context is what the last disposed scope restored, so an outer scope
    /// disposed before an inner one is undone by the inner one's disposal; fix the order (strict mode finds it).
    /// </para>
    /// <para>
    /// <b>OpenTelemetry internals.</b> Isolation relies on the name of OpenTelemetry's baggage slot and on its holder
    /// object, which are not public API. Both are checked on first use; should a future OpenTelemetry change them, baggage
    /// scopes fall back to the public <see cref="Baggage.Current"/> property (they still restore what they replaced, but
    /// no longer isolate a flow from the flows sharing its holder) and the fallback is reported once on the event source.
    /// </para>
    /// </remarks>
    public readonly struct ContextScope : IDisposable
    {
        /// <summary>The <see cref="RuntimeContext"/> slot in which OpenTelemetry keeps the baggage holder.</summary>
        internal const string BaggageSlotName = BaggageSlot.Name;

        private readonly Kind kind;
        private readonly object? previous;
        private readonly object? installed;
        private readonly object? slot;
        private readonly ActivityContext parent;

        private ContextScope(Kind kind, object? previous, object? installed, object? slot, ActivityContext parent)
        {
            this.kind = kind;
            this.previous = previous;
            this.installed = installed;
            this.slot = slot;
            this.parent = parent;
        }

        private enum Kind : byte
        {
            None = 0,
            Baggage,
            Activity,
            Slot,
            BaggageValue,
        }

        /// <summary>
        /// Gets the remote parent carried by the <see cref="PropagationContext"/> given to <see cref="Attach"/>, to pass
        /// as <c>parentContext</c> to <c>ActivitySource.StartActivity</c>; <see langword="default"/> for every other scope.
        /// </summary>
        public ActivityContext Parent => parent;

        /// <summary>
        /// Gets a value indicating whether the value this scope installed is the current one, that is, the scope is open,
        /// is the innermost scope of its kind, and nothing inside it changed the context without restoring it.
        /// <see langword="false"/> for <see langword="default"/> and after <see cref="Dispose"/>.
        /// </summary>
        public bool IsCurrent => kind != Kind.None && IsInstalledCurrent(ReadCurrent());

        /// <summary>
        /// Makes <see cref="Baggage.Current"/> the current baggage with <paramref name="name"/> set to
        /// <paramref name="value"/> (removed when <paramref name="value"/> is <see langword="null"/> or empty), without
        /// touching the baggage seen by other flows; disposing restores the previous baggage.
        /// </summary>
        /// <param name="name">The baggage key.</param>
        /// <param name="value">The value; <see langword="null"/> or empty removes the key.</param>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope SetBaggage(string name, string? value)
            => Install(Baggage.Current.SetBaggage(name, value));

        /// <summary>
        /// Makes <see cref="Baggage.Current"/> the current baggage with every item of <paramref name="items"/> set
        /// (an item with a <see langword="null"/> or empty value removes its key), without touching the baggage seen by
        /// other flows; disposing restores the previous baggage.
        /// </summary>
        /// <param name="items">The items to set.</param>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope SetBaggage(IEnumerable<KeyValuePair<string, string?>> items)
            => Install(Baggage.Current.SetBaggage(items));

        /// <summary>
        /// Like <see cref="SetBaggage(string, string)"/>, with <paramref name="policy"/> applied to the resulting baggage:
        /// an entry the policy rejects (not a W3C token, sensitive-looking, over the propagator's limits) is dropped,
        /// redacted or pseudonymised as the policy says, and counted, instead of being silently lost downstream.
        /// </summary>
        /// <param name="name">The baggage key.</param>
        /// <param name="value">The value; <see langword="null"/> or empty removes the key.</param>
        /// <param name="policy">The policy to apply, e.g. <see cref="BaggagePolicy.Default"/>.</param>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope SetBaggage(string name, string? value, BaggagePolicy policy)
            => Install((policy ?? throw new ArgumentNullException(nameof(policy))).Apply(Baggage.Current.SetBaggage(name, value)));

        /// <summary>
        /// Like <see cref="SetBaggage(IEnumerable{KeyValuePair{string, string}})"/>, with <paramref name="policy"/> applied
        /// to the resulting baggage.
        /// </summary>
        /// <param name="items">The items to set.</param>
        /// <param name="policy">The policy to apply, e.g. <see cref="BaggagePolicy.Default"/>.</param>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope SetBaggage(IEnumerable<KeyValuePair<string, string?>> items, BaggagePolicy policy)
            => Install((policy ?? throw new ArgumentNullException(nameof(policy))).Apply(Baggage.Current.SetBaggage(items)));

        /// <summary>
        /// Makes <see cref="Baggage.Current"/> the current baggage without <paramref name="name"/>, without touching the
        /// baggage seen by other flows; disposing restores the previous baggage.
        /// </summary>
        /// <param name="name">The baggage key to remove.</param>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope RemoveBaggage(string name)
            => Install(Baggage.Current.RemoveBaggage(name));

        /// <summary>
        /// Makes the current baggage empty, without touching the baggage seen by other flows; disposing restores the
        /// previous baggage.
        /// </summary>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope ClearBaggage()
            => Use(default);

        /// <summary>
        /// Makes <paramref name="baggage"/> the current baggage in a holder of its own (never one shared with other
        /// flows); disposing reinstalls the holder that was current before.
        /// </summary>
        /// <param name="baggage">The baggage to make current.</param>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope Use(Baggage baggage)
        {
            // Reading Current first also runs Baggage's static constructor, which registers the slot.
            _ = Baggage.Current;
            return Install(baggage);
        }

        /// <summary><see cref="Use"/> for callers that have just read <see cref="Baggage.Current"/> (the slot exists).</summary>
        private static ContextScope Install(Baggage baggage)
        {
            if (!BaggageSlot.Current.Isolates)
            {
                return InstallByValue(baggage);
            }

            object? previousHolder = RuntimeContext.GetValue(BaggageSlotName);

            // Cut loose from the holder shared with the parent flow (if there is one), then let OpenTelemetry create a
            // fresh one.
            if (previousHolder is not null)
            {
                RuntimeContext.SetValue(BaggageSlotName, null);
            }

            Baggage.Current = baggage;
            object? newHolder = RuntimeContext.GetValue(BaggageSlotName);
            return new ContextScope(Kind.Baggage, previousHolder, newHolder, null, default);
        }

        /// <summary>The fallback of <see cref="Install"/> when the holder cannot be used: the public API only, no isolation.</summary>
        internal static ContextScope InstallByValue(Baggage baggage)
        {
            object previousValue = Baggage.Current;
            Baggage.Current = baggage;
            return new ContextScope(Kind.BaggageValue, previousValue, Baggage.Current, null, default);
        }

        /// <summary>
        /// Attaches an extracted <see cref="PropagationContext"/>: its baggage becomes current (as with
        /// <see cref="Use"/>) and its <see cref="PropagationContext.ActivityContext"/> is available as
        /// <see cref="Parent"/>, to pass as <c>parentContext</c> when starting the next activity.
        /// <see cref="Activity.Current"/> is not changed.
        /// </summary>
        /// <param name="context">The context returned by <c>TextMapPropagator.Extract</c>.</param>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope Attach(PropagationContext context)
        {
            ContextScope baggageScope = Use(context.Baggage);
            return new ContextScope(baggageScope.kind, baggageScope.previous, baggageScope.installed, null, context.ActivityContext);
        }

        /// <summary>
        /// Makes <paramref name="activity"/> <see cref="Activity.Current"/> (<see langword="null"/> clears it); disposing
        /// makes the previous activity current again. The activity is neither started nor stopped.
        /// </summary>
        /// <param name="activity">The activity to make current, or <see langword="null"/>.</param>
        /// <returns>The scope to dispose.</returns>
        /// <remarks>
        /// <see cref="Activity.Current"/> ignores stopped activities: when the previous activity was stopped while the
        /// scope was open, disposing makes its nearest running ancestor current (or none).
        /// </remarks>
        public static ContextScope Activate(Activity? activity)
        {
            Activity? previousActivity = Activity.Current;
            Activity.Current = activity;
            return new ContextScope(Kind.Activity, previousActivity, Activity.Current, null, default);
        }

        /// <summary>
        /// Clears <see cref="Activity.Current"/> so that the next <c>StartActivity</c> starts a true root (passing
        /// <c>default</c> as parent context means "use Activity.Current", not "root"); disposing makes the previous
        /// activity current again.
        /// </summary>
        /// <returns>The scope to dispose.</returns>
        public static ContextScope ClearActivity() => Activate(null);

        /// <summary>
        /// Sets the <see cref="RuntimeContext"/> slot <paramref name="slotName"/> (registered with
        /// <c>RuntimeContext.RegisterSlot&lt;T&gt;</c>) to <paramref name="value"/>; disposing restores its previous value.
        /// For OpenTelemetry's own baggage slot use <see cref="Use"/>, which does not share holders.
        /// </summary>
        /// <typeparam name="T">The type the slot was registered with.</typeparam>
        /// <param name="slotName">The name of a registered slot.</param>
        /// <param name="value">The value to set.</param>
        /// <returns>The scope to dispose.</returns>
        /// <exception cref="ArgumentException">No slot named <paramref name="slotName"/> is registered.</exception>
        /// <exception cref="InvalidCastException">The slot was registered with another type than <typeparamref name="T"/>.</exception>
        /// <exception cref="NotSupportedException">The slot type cannot be read and written without its type argument.</exception>
        public static ContextScope SetValue<T>(string slotName, T value)
        {
            RuntimeContextSlot<T> contextSlot = RuntimeContext.GetSlot<T>(slotName);
            if (contextSlot is not IRuntimeContextSlotValueAccessor accessor)
            {
                throw new NotSupportedException($"The context slot '{slotName}' ({contextSlot.GetType()}) does not implement {nameof(IRuntimeContextSlotValueAccessor)}, so a scope could not restore it.");
            }

            object? previousValue = accessor.Value;
            contextSlot.Set(value);
            return new ContextScope(Kind.Slot, previousValue, accessor.Value, accessor, default);
        }

        /// <summary>
        /// Restores what the scope replaced. Harmless on <see langword="default"/> and when called again. See the type
        /// remarks for what happens when scopes are disposed out of order.
        /// </summary>
        public void Dispose()
        {
            if (kind == Kind.None)
            {
                return;
            }

            object? current = ReadCurrent();
            if (IsInstalledCurrent(current))
            {
                // The usual case: what this scope installed is still current.
                Restore();
                return;
            }

            if (SameValue(current, RestoreTarget()))
            {
                // Already restored (second Dispose) or nothing left to undo.
                return;
            }

            // Out of order: a scope opened later is still open, or the code inside changed the context itself.
            Restore();
            string what = kind == Kind.BaggageValue ? nameof(Kind.Baggage) : kind.ToString();
            RuntimeEventSource.Log.ScopeMismatch(what);
            StrictMode.OnScopeMismatch(what);
        }

        private bool IsInstalledCurrent(object? current) => SameValue(current, installed);

        private bool SameValue(object? a, object? b)
            => kind == Kind.Slot || kind == Kind.BaggageValue ? Equals(a, b) : ReferenceEquals(a, b);

        private object? ReadCurrent()
        {
            switch (kind)
            {
                case Kind.Baggage:
                    return RuntimeContext.GetValue(BaggageSlotName);
                case Kind.Activity:
                    return Activity.Current;
                case Kind.Slot:
                    return ((IRuntimeContextSlotValueAccessor)slot!).Value;
                case Kind.BaggageValue:
                    return Baggage.Current;
                default:
                    return null;
            }
        }

        private object? RestoreTarget()
        {
            if (kind != Kind.Activity)
            {
                return previous;
            }

            // Activity.Current ignores a stopped activity: fall back to the nearest running ancestor.
            Activity? target = (Activity?)previous;
            while (target is not null && target.IsStopped)
            {
                target = target.Parent;
            }

            return target;
        }

        private void Restore()
        {
            switch (kind)
            {
                case Kind.Baggage:
                    RuntimeContext.SetValue(BaggageSlotName, previous);
                    break;
                case Kind.Activity:
                    Activity.Current = (Activity?)RestoreTarget();
                    break;
                case Kind.Slot:
                    ((IRuntimeContextSlotValueAccessor)slot!).Value = previous;
                    break;
                case Kind.BaggageValue:
                    Baggage.Current = previous is Baggage value ? value : default;
                    break;
            }
        }
    }
}
