using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using static ContextAnalyzers.Tests.Rules.CTX401ExtractedContextDiscardedTests;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.CTX405DefaultPropagatorCachedAnalyzer, ContextAnalyzers.CTX405DefaultPropagatorCachedCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX405DefaultPropagatorCachedTests
{
    private const string Key = CTX405DefaultPropagatorCachedCodeFix.ReadAtCallTimeKey;

    private const string SdkUsing = "using OpenTelemetry.Trace;\n";

    [Fact]
    public async Task Static_readonly_field_of_the_entry_type_becomes_a_property()
    {
        // The entry type's static fields are initialised before Main, so before Main sets the SDK up.
        await Verify.VerifyCodeFixAsync(
            Header + """
            class Program
            {
                // The propagator used for every message.
                private static readonly TextMapPropagator Propagator = {|#0:Propagators.DefaultTextMapPropagator|}; // trailing
                internal static volatile TextMapPropagator Volatile = {|CTX405:Propagators.DefaultTextMapPropagator|};
                static void Main(string[] args) { }
            }
            """,
            Header + """
            class Program
            {
                // The propagator used for every message.
                private static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator; // trailing
                internal static TextMapPropagator Volatile => Propagators.DefaultTextMapPropagator;
                static void Main(string[] args) { }
            }
            """,
            Key,
            Verify.Diagnostic("CTX405").WithLocation(0).WithArguments("Propagator"));
    }

    [Fact]
    public async Task Static_auto_property_initializer_of_the_entry_type_becomes_an_expression_body()
    {
        await Verify.VerifyCodeFixAsync(
            Header + """
            static class Worker
            {
                public static TextMapPropagator Propagator { get; } = {|CTX405:Propagators.DefaultTextMapPropagator|};
                static async System.Threading.Tasks.Task<int> Main() { await System.Threading.Tasks.Task.Yield(); return 0; }
            }
            """,
            Header + """
            static class Worker
            {
                public static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;
                static async System.Threading.Tasks.Task<int> Main() { await System.Threading.Tasks.Task.Yield(); return 0; }
            }
            """,
            Key);
    }

    [Fact]
    public async Task Static_constructor_assignment_in_the_entry_type_is_flagged_without_a_fix()
    {
        var test = Verify.Create();
        test.TestCode = Header + """
            class Program
            {
                private static readonly TextMapPropagator Propagator;
                static Program() { Propagator = {|CTX405:Propagators.DefaultTextMapPropagator|}; }
                static void Main() { }
            }
            """;
        test.NoFixOfferedKey = Key;
        await test.RunAsync();
    }

    [Fact]
    public async Task Field_written_elsewhere_gets_no_fix()
    {
        var test = Verify.Create();
        test.TestCode = Header + """
            class Program
            {
                private static TextMapPropagator propagator = {|CTX405:Propagators.DefaultTextMapPropagator|};
                public static void Use(TextMapPropagator p) => propagator = p;
                static void Main() { }
            }
            """;
        test.NoFixOfferedKey = Key;
        await test.RunAsync();
    }

    [Fact]
    public async Task Cached_in_Main_before_the_SDK_is_set_up_is_flagged_without_a_fix()
    {
        var test = Verify.Create();
        test.TestCode = Header + SdkUsing + """
            class Program
            {
                static TextMapPropagator? shared;
                static void Main()
                {
                    var propagator = {|CTX405:Propagators.DefaultTextMapPropagator|};
                    shared = {|CTX405:Propagators.DefaultTextMapPropagator|};
                    using var provider = Sdk.CreateTracerProviderBuilder().AddSource("Shop").Build();
                    propagator.Inject(default, new Dictionary<string, string>(), (c, k, v) => c[k] = v);
                }
            }
            """;
        test.NoFixOfferedKey = Key;
        await test.RunAsync();
    }

    [Fact]
    public async Task Cached_by_top_level_statements_before_the_SDK_is_set_up_is_flagged()
    {
        var test = Verify.Create();
        test.OutputKind = OutputKind.ConsoleApplication;
        test.TestCode = Header + SdkUsing + """
            var propagator = {|CTX405:Propagators.DefaultTextMapPropagator|};
            using var provider = Sdk.CreateTracerProviderBuilder().Build();
            Console.WriteLine(propagator.Fields?.Count);
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task Caches_in_other_types_are_silent()
    {
        // Read at message time, after the SDK's entry points ran the Sdk static constructor: the configured propagator.
        await Verify.VerifyAnalyzerAsync(Header + """
            class Publisher
            {
                private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;
                public static TextMapPropagator Shared { get; } = Propagators.DefaultTextMapPropagator;
                private static readonly TextMapPropagator Assigned;
                static Publisher() { Assigned = Propagators.DefaultTextMapPropagator; }
                // An instance Main of another shape does not make this the entry type.
                public void Main() { }
            }
            static class Listener
            {
                private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;
            }
            """);
    }

    [Fact]
    public async Task Silent_when_the_SDK_is_set_up_first()
    {
        await Verify.VerifyAnalyzerAsync(Header + SdkUsing + """
            class Program
            {
                // Static initializers run in textual order: the provider's builder ran the Sdk static constructor.
                private static readonly TracerProvider? Provider = Sdk.CreateTracerProviderBuilder().AddSource("Shop").Build();
                private static readonly TextMapPropagator Propagator = Propagators.DefaultTextMapPropagator;

                static void Main()
                {
                    var afterSetUp = Propagators.DefaultTextMapPropagator;
                    Console.WriteLine(afterSetUp.Fields?.Count);
                }
            }
            class Service
            {
                static void Main(string[] args)
                {
                    using var provider = Sdk.CreateTracerProviderBuilder().Build();
                    var propagator = Propagators.DefaultTextMapPropagator;
                    Console.WriteLine(propagator.Fields?.Count);
                }
            }
            """);
    }

    [Fact]
    public async Task Reads_at_call_time_and_instance_fields_are_silent()
    {
        await Verify.VerifyAnalyzerAsync(Header + """
            class Program
            {
                private static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;
                private readonly TextMapPropagator perInstance = Propagators.DefaultTextMapPropagator;
                private static readonly TextMapPropagator Explicit = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
                static void Main(string[] args)
                {
                    // No SDK set up later in Main: nothing proves this runs before it.
                    var local = Propagators.DefaultTextMapPropagator;
                    Propagators.DefaultTextMapPropagator.Inject(new PropagationContext(Activity.Current?.Context ?? default, Baggage.Current), new Dictionary<string, string>(), (c, k, v) => c[k] = v);
                }
            }
            """);
    }

    [Theory]
    [InlineData("class Program { static readonly OpenTelemetry.Context.Propagation.TextMapPropagator P = OpenTelemetry.Context.Propagation.Propagators.DefaultTextMapPropagator; static void Main( }")]
    [InlineData("class Program { static void Main() { var p = OpenTelemetry.Context.Propagation.Propagators.DefaultTextMapPropagator; OpenTelemetry.Sdk.CreateTracerProviderBuilder(; } }")]
    [InlineData("class Program { static Program() { Undefined = OpenTelemetry.Context.Propagation.Propagators.DefaultTextMapPropagator; } static int Main(string[] a) => 0; }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
    }

    [Fact]
    public async Task Bails_out_without_opentelemetry()
    {
        var test = Verify.Create();
        test.TestCode = "class C { static readonly object P = System.Diagnostics.DistributedContextPropagator.Current; }";
        test.References = ReferenceSet.DiagnosticSource;
        await test.RunAsync();
    }
}
