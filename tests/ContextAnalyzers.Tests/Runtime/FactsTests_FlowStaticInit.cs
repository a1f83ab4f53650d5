using OpenTelemetry.Context;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// CTX203's static-constructor case on the real assemblies: a static field initializer that registers a RuntimeContext
/// slot (what touching Baggage does for "otel.baggage") has run when the static constructor's body starts, so a
/// <c>RuntimeContext.ContextSlotType</c> set there comes after the slot exists (and cannot change its storage).
/// The process-wide ContextSlotType itself is not changed here: other tests run in the same process.
/// </summary>
public class FactsTests_FlowStaticInit
{
    [Fact]
    public void A_static_initializers_slot_exists_before_the_static_constructor_body_runs()
    {
        Assert.True(Holder.SlotExistedInStaticConstructor);
        Assert.IsType<AsyncLocalRuntimeContextSlot<int>>(Holder.Slot);
    }

    private static class Holder
    {
        public static readonly RuntimeContextSlot<int> Slot = RuntimeContext.RegisterSlot<int>("ctx203.fact." + Guid.NewGuid().ToString("N"));

        public static readonly bool SlotExistedInStaticConstructor;

        static Holder()
        {
            // Where RuntimeContext.ContextSlotType would be set: too late for Slot.
            SlotExistedInStaticConstructor = Slot is not null;
        }
    }
}
