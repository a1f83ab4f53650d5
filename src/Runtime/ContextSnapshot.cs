using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// The ambient OpenTelemetry context of one moment (<see cref="Activity.Current"/> and <see cref="Baggage.Current"/>),
    /// captured cheaply and replayed around a delegate. Use it where the <see cref="ExecutionContext"/> does not flow:
    /// <c>ThreadPool.UnsafeQueueUserWorkItem</c>, <c>Thread.UnsafeStart</c>, <c>CancellationToken.UnsafeRegister</c>,
    /// or work started under <c>ExecutionContext.SuppressFlow()</c>.
    /// <code>
    /// var snapshot = ContextSnapshot.Capture();
    /// ThreadPool.UnsafeQueueUserWorkItem(snapshot.Wrap(state => Process(state)), item);
    /// </code>
    /// </summary>
    /// <remarks>
    /// Running under a snapshot installs the captured activity and a baggage holder of its own (never the caller's
    /// shared holder, so baggage set inside does not leak out), then puts back exactly what was current before, on
    /// the same thread, exceptions included. An async delegate keeps the snapshot's context for its whole flow, since
    /// its continuations capture the context that was current when it started.
    /// </remarks>
    public readonly struct ContextSnapshot
    {
        private readonly Baggage baggage;

        private ContextSnapshot(Activity? activity, Baggage baggage)
        {
            Activity = activity;
            this.baggage = baggage;
        }

        /// <summary>Gets the activity that was current when the snapshot was captured, or <see langword="null"/>.</summary>
        public Activity? Activity { get; }

        /// <summary>Gets the baggage that was current when the snapshot was captured (a value: later changes do not affect it).</summary>
        public Baggage Baggage => baggage;

        /// <summary>Captures the current <see cref="Activity.Current"/> and <see cref="Baggage.Current"/>.</summary>
        /// <returns>The snapshot.</returns>
        public static ContextSnapshot Capture() => new ContextSnapshot(Activity.Current, Baggage.Current);

        /// <summary>Runs <paramref name="action"/> under the captured context, then restores the previous one.</summary>
        /// <param name="action">The work.</param>
        public void Run(Action action)
        {
            if (action is null)
            {
                throw new ArgumentNullException(nameof(action));
            }

            var saved = AmbientContext.Enter(Activity, baggage);
            try
            {
                action();
            }
            finally
            {
                saved.Restore();
            }
        }

        /// <summary>Runs <paramref name="func"/> under the captured context, then restores the previous one.</summary>
        /// <typeparam name="T">The result type.</typeparam>
        /// <param name="func">The work.</param>
        /// <returns>What <paramref name="func"/> returned.</returns>
        public T Run<T>(Func<T> func)
        {
            if (func is null)
            {
                throw new ArgumentNullException(nameof(func));
            }

            var saved = AmbientContext.Enter(Activity, baggage);
            try
            {
                return func();
            }
            finally
            {
                saved.Restore();
            }
        }

        /// <summary>
        /// Starts <paramref name="func"/> under the captured context (its whole asynchronous flow keeps it) and restores
        /// the caller's context as soon as it returns its task.
        /// </summary>
        /// <param name="func">The asynchronous work.</param>
        /// <returns>The task of <paramref name="func"/>.</returns>
        public Task RunAsync(Func<Task> func) => Run(func);

        /// <summary>
        /// Starts <paramref name="func"/> under the captured context (its whole asynchronous flow keeps it) and restores
        /// the caller's context as soon as it returns its task.
        /// </summary>
        /// <typeparam name="T">The result type.</typeparam>
        /// <param name="func">The asynchronous work.</param>
        /// <returns>The task of <paramref name="func"/>.</returns>
        public Task<T> RunAsync<T>(Func<Task<T>> func) => Run(func);

        /// <summary>Wraps <paramref name="callback"/> so that it runs under the captured context wherever it is invoked.</summary>
        /// <param name="callback">The callback.</param>
        /// <returns>The wrapping callback.</returns>
        public Action Wrap(Action callback)
        {
            if (callback is null)
            {
                throw new ArgumentNullException(nameof(callback));
            }

            var self = this;
            return () => self.Run(callback);
        }

        /// <summary>Wraps <paramref name="callback"/> so that it runs under the captured context wherever it is invoked.</summary>
        /// <typeparam name="TState">The state type.</typeparam>
        /// <param name="callback">The callback.</param>
        /// <returns>The wrapping callback.</returns>
        public Action<TState> Wrap<TState>(Action<TState> callback)
        {
            if (callback is null)
            {
                throw new ArgumentNullException(nameof(callback));
            }

            var self = this;
            return state => self.Run(() => callback(state));
        }

        /// <summary>Wraps a thread-pool callback so that it runs under the captured context wherever it is invoked.</summary>
        /// <param name="callback">The callback.</param>
        /// <returns>The wrapping callback.</returns>
        public WaitCallback Wrap(WaitCallback callback)
        {
            if (callback is null)
            {
                throw new ArgumentNullException(nameof(callback));
            }

            var self = this;
            return state => self.Run(() => callback(state));
        }
    }

    /// <summary>Installs an activity and an isolated baggage holder, and puts back exactly what they replaced.</summary>
    internal readonly struct AmbientContext
    {
        private readonly Activity? previousActivity;
        private readonly object? previousBaggage;

        private AmbientContext(Activity? previousActivity, object? previousBaggage)
        {
            this.previousActivity = previousActivity;
            this.previousBaggage = previousBaggage;
        }

        /// <summary>Makes <paramref name="activity"/> current and <paramref name="baggage"/> current in a holder of its own.</summary>
        public static AmbientContext Enter(Activity? activity, Baggage baggage)
        {
            var slot = BaggageSlot.Current;
            var saved = new AmbientContext(Activity.Current, slot.Capture());
            Activity.Current = activity;
            slot.UseIsolated(baggage, saved.previousBaggage);
            return saved;
        }

        /// <summary>
        /// Installs <paramref name="baggage"/> in a baggage holder of this flow's own (see <see cref="BaggageSlot.UseIsolated"/>).
        /// </summary>
        public static void UseIsolatedBaggage(Baggage baggage)
        {
            var slot = BaggageSlot.Current;
            slot.UseIsolated(baggage, slot.Capture());
        }

        /// <summary>Puts back the activity and the baggage holder object that were current before <see cref="Enter"/>.</summary>
        public void Restore()
        {
            BaggageSlot.Current.Restore(previousBaggage);
            Activity.Current = previousActivity;
        }
    }
}
