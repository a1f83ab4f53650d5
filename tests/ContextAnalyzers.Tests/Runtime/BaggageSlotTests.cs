using System.Diagnostics;
using ContextAnalyzers.Runtime;
using OpenTelemetry;
using OpenTelemetry.Context;

namespace ContextAnalyzers.Tests.Runtime;

/// <summary>
/// The runtime relies on OpenTelemetry's baggage slot name and holder object, which are not public API: the check made
/// on first use, and the public-API fallback used when the check fails.
/// </summary>
public class BaggageSlotTests
{
    private static Task InOwnFlow(Action body) => Task.Run(() =>
    {
        _ = Baggage.Current;
        RuntimeContext.SetValue(BaggageSlot.Name, null);
        Activity.Current = null;
        body();
    });

    [Fact]
    public Task The_installed_OpenTelemetry_keeps_baggage_where_the_runtime_expects_it() => InOwnFlow(() =>
    {
        Baggage.SetBaggage("before", "b");
        var holder = RuntimeContext.GetValue(BaggageSlot.Name);

        Assert.Null(BaggageSlot.Probe(BaggageSlot.Name));
        Assert.Same(BaggageSlot.Isolating, BaggageSlot.Current);
        Assert.True(BaggageSlot.Current.Isolates);

        // The probe leaves everything as it found it: the same holder object, the same baggage.
        Assert.Same(holder, RuntimeContext.GetValue(BaggageSlot.Name));
        Assert.Equal("b", Baggage.GetBaggage("before"));
        Assert.Equal(1, Baggage.Current.Count);
    });

    [Fact]
    public Task A_failed_check_says_why_never_throws_and_changes_nothing() => InOwnFlow(() =>
    {
        Baggage.SetBaggage("before", "b");
        var holder = RuntimeContext.GetValue(BaggageSlot.Name);

        var failure = BaggageSlot.Probe("contextanalyzers.tests.no-such-slot");

        Assert.NotNull(failure);
        Assert.Same(holder, RuntimeContext.GetValue(BaggageSlot.Name));
        Assert.Equal("b", Baggage.GetBaggage("before"));
    });

    [Fact]
    public Task The_public_API_fallback_restores_values_without_isolation() => InOwnFlow(() =>
    {
        var slot = BaggageSlot.PublicApi;
        Assert.False(slot.Isolates);
        Baggage.SetBaggage("parent", "p");

        var saved = slot.Capture();
        slot.UseIsolated(Baggage.Create(new Dictionary<string, string> { ["inside"] = "i" }), saved);
        Assert.Equal("i", Baggage.GetBaggage("inside"));
        Assert.Null(Baggage.GetBaggage("parent"));
        Assert.False(slot.Same(saved, slot.Capture()));
        slot.Restore(saved);
        Assert.Equal("p", Baggage.GetBaggage("parent"));
        Assert.Null(Baggage.GetBaggage("inside"));
        Assert.True(slot.Same(saved, slot.Capture()));

        // The fallback scope restores the value it replaced, reports a mismatch like the holder scope, and a second
        // dispose is harmless.
        using var events = new RuntimeEvents();
        var outer = ContextScope.InstallByValue(Baggage.Current.SetBaggage("outer", "o"));
        Assert.True(outer.IsCurrent);
        var inner = ContextScope.InstallByValue(Baggage.Current.SetBaggage("inner", "i"));
        Assert.False(outer.IsCurrent);
        inner.Dispose();
        Assert.True(outer.IsCurrent);
        outer.Dispose();
        outer.Dispose();
        Assert.Equal("p", Baggage.GetBaggage("parent"));
        Assert.Null(Baggage.GetBaggage("outer"));
        Assert.Empty(events.Named("ScopeMismatch"));

        var a = ContextScope.InstallByValue(Baggage.Current.SetBaggage("a", "1"));
        var b = ContextScope.InstallByValue(Baggage.Current.SetBaggage("b", "2"));
        a.Dispose();
        Assert.Equal("Baggage", Assert.Single(events.Named("ScopeMismatch")).Payload![0]);
        Assert.Null(Baggage.GetBaggage("a"));
        b.Dispose();
    });
}
