using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<
    ContextAnalyzers.Rules.CTX203ContextInThreadLocalStorageAnalyzer,
    ContextAnalyzers.Rules.CTX203ContextInThreadLocalStorageCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX203ContextInThreadLocalStorageTests
{
    private static string Code(string members) => $$"""
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using System.Threading;
        using OpenTelemetry;
        using OpenTelemetry.Context;
        using OpenTelemetry.Context.Propagation;
        using OpenTelemetry.Trace;

        class C
        {
        {{members}}
        }
        """;

    [Theory]
    [InlineData("[ThreadStatic] static Activity? [|current|];")]
    [InlineData("[ThreadStatic] static ActivityContext [|parent|];")]
    [InlineData("[ThreadStatic] static Baggage [|baggage|];")]
    [InlineData("[ThreadStatic] static Stack<Activity>? [|stack|];")]
    [InlineData("[ThreadStatic] static PropagationContext[]? [|contexts|];")]
    [InlineData("[ThreadStatic] static Dictionary<string, Activity>? [|byOperation|];")]
    [InlineData("static readonly ThreadLocal<List<Baggage>> [|saved|] = new(() => new());")]
    [InlineData("[ThreadStatic] static KeyValuePair<string, List<Activity>>? [|group|];")]
    [InlineData("static readonly ThreadLocal<Activity?> [|current|] = new();")]
    [InlineData("static readonly ThreadLocal<TelemetrySpan?> [|span|] = new();")]
    [InlineData("readonly ThreadLocal<SpanContext> [|context|] = new(() => default);")]
    [InlineData("static void M() { [|RuntimeContext.ContextSlotType = typeof(ThreadLocalRuntimeContextSlot<>)|]; }")]
    [InlineData("static void M() { Baggage.SetBaggage(\"k\", \"v\"); [|RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>)|]; }")]
    [InlineData("static void M() { RuntimeContext.RegisterSlot<int>(\"slot\"); [|RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>)|]; }")]
    public async Task Flags_context_in_thread_local_storage(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Theory]
    [InlineData("static readonly AsyncLocal<Activity?> current = new();")]
    [InlineData("[ThreadStatic] static int counter;")]
    [InlineData("[ThreadStatic] static StringBuilderCache? cache; class StringBuilderCache { }")]
    [InlineData("static readonly ThreadLocal<Random> random = new(() => new Random());")]
    [InlineData("static Activity? notThreadStatic;")]
    // Per-thread scratch for batch work: a pool of activity lists, lists grouped by source.
    [InlineData("[ThreadStatic] static Stack<List<Activity>>? listPool;")]
    [InlineData("[ThreadStatic] static Dictionary<string, List<Activity>>? bySource;")]
    [InlineData("static readonly ThreadLocal<Queue<Activity[]>> batches = new(() => new());")]
    [InlineData("static void M() { RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>); Baggage.SetBaggage(\"k\", \"v\"); }")]
    public async Task Silent(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    // Static field and property initializers run before the static constructor's body.
    [Theory]
    [InlineData("static readonly Baggage B = Baggage.Current; static C() { [|RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>)|]; }")]
    [InlineData("static C() { [|RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>)|]; } static Baggage P { get; } = Baggage.Create(null);")]
    [InlineData("static readonly bool Suppressed = Sdk.SuppressInstrumentation; static C() { [|RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>)|]; }")]
    [InlineData("static readonly RuntimeContextSlot<int> Slot = RuntimeContext.RegisterSlot<int>(\"s\"); static C() { Console.WriteLine(); [|RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>)|]; }")]
    [InlineData("static int x = 1, y = Baggage.Current.Count; static C() { [|RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>)|]; }")]
    public async Task Flags_a_static_constructor_after_a_static_initializer_that_touched_OpenTelemetry(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Fact]
    public async Task Static_initializer_message_names_the_field()
    {
        await Verify.VerifyAnalyzerAsync(
            Code("static readonly Baggage B = Baggage.Current; static C() { {|#0:RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>)|}; }"),
            Verify.Diagnostic("CTX203").WithLocation(0).WithMessage("RuntimeContext.ContextSlotType is set after Baggage.Current was used by the initializer of 'B', which runs before the static constructor: slots already registered (baggage among them) keep their old storage; set it first, before anything touches OpenTelemetry"));
    }

    [Theory]
    // Instance initializers run at construction, after the static constructor.
    [InlineData("readonly Baggage b = Baggage.Current; static C() { RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>); }")]
    // Another type's initializers.
    [InlineData("static C() { RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>); } class D { static readonly Baggage B = Baggage.Current; }")]
    // A lambda in an initializer does not run at initialization; a constant touches nothing.
    [InlineData("static readonly Func<Baggage> F = () => Baggage.Current; const string Key = nameof(Baggage); static C() { RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>); }")]
    // Static initializers that do not touch OpenTelemetry; the assignment in a lambda of the static constructor.
    [InlineData("static readonly Type T = typeof(Baggage); static readonly Baggage Empty = default; static C() { RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>); }")]
    [InlineData("static readonly Baggage B = Baggage.Current; static readonly Action Configure; static C() { Configure = () => RuntimeContext.ContextSlotType = typeof(AsyncLocalRuntimeContextSlot<>); }")]
    public async Task Silent_static_constructor_look_alikes(string member)
    {
        await Verify.VerifyAnalyzerAsync(Code(member));
    }

    [Fact]
    public async Task Fix_turns_a_ThreadStatic_field_into_an_AsyncLocal_and_rewrites_its_uses()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    // the request's activity
                    [ThreadStatic]
                    private static Activity? [|current|];

                    static void Set(Activity a) => current = a;

                    static string? Id() => C.current?.Id;
                """),
            Code("""
                    // the request's activity
                    private static readonly AsyncLocal<Activity?> current = new();

                    static void Set(Activity a) => current.Value = a;

                    static string? Id() => C.current.Value?.Id;
                """),
            CTX203ContextInThreadLocalStorageCodeFix.UseAsyncLocalKey);
    }

    [Fact]
    public async Task Fix_turns_a_ThreadLocal_into_an_AsyncLocal()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    static readonly ThreadLocal<Baggage> [|saved|] = new ThreadLocal<Baggage>();

                    static void Save() => saved.Value = Baggage.Current;
                """),
            Code("""
                    static readonly AsyncLocal<Baggage> saved = new AsyncLocal<Baggage>();

                    static void Save() => saved.Value = Baggage.Current;
                """),
            CTX203ContextInThreadLocalStorageCodeFix.UseAsyncLocalKey);
    }

    [Fact]
    public async Task Fix_drops_the_thread_local_slot_assignment()
    {
        await Verify.VerifyCodeFixAsync(
            Code("""
                    static void Configure()
                    {
                        [|RuntimeContext.ContextSlotType = typeof(ThreadLocalRuntimeContextSlot<>)|];
                        Console.WriteLine();
                    }
                """),
            Code("""
                    static void Configure()
                    {
                        Console.WriteLine();
                    }
                """),
            CTX203ContextInThreadLocalStorageCodeFix.RemoveThreadLocalSlotKey);
    }

    [Theory]
    [InlineData("readonly ThreadLocal<SpanContext> [|context|] = new(() => default); bool Created() => context.IsValueCreated;")]
    [InlineData("[ThreadStatic] public static Activity? [|current|];")]
    public async Task No_fix_when_the_rewrite_would_not_compile_or_leaks_the_type(string member)
    {
        await Verify.VerifyNoCodeFixOfferedAsync(Code(member), CTX203ContextInThreadLocalStorageCodeFix.UseAsyncLocalKey);
    }

    [Fact]
    public async Task Without_telemetry_registers_nothing()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.FrameworkOnly;
        test.TestCode = "class Activity { } class C { [System.ThreadStatic] static Activity? current; }";
        await test.RunAsync();
    }

    [Theory]
    [InlineData("class C { [System.ThreadStatic] static System.Diagnostics.Activity }")]
    [InlineData("class C { static System.Threading.ThreadLocal<System.Diagnostics.Activity> x = new(; }")]
    [InlineData("class C { void M() { OpenTelemetry.Context.RuntimeContext.ContextSlotType = typeof( } }")]
    [InlineData("class C { static readonly OpenTelemetry.Baggage B = OpenTelemetry.Baggage.; static C() { OpenTelemetry.Context.RuntimeContext.ContextSlotType = typeof(OpenTelemetry.Context.AsyncLocalRuntimeContextSlot<>); } }")]
    [InlineData("partial class C { static readonly int X = Undefined(; static C() { OpenTelemetry.Context.RuntimeContext.ContextSlotType = ; } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }
}
