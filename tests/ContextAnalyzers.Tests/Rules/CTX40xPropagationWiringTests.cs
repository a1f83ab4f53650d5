using System.Collections.Immutable;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis.Diagnostics;
using static ContextAnalyzers.Tests.Rules.CTX401ExtractedContextDiscardedTests;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>The CTX4xx analyzers together: one mistake, one diagnostic; correct wiring, none.</summary>
public class CTX40xPropagationWiringTests
{
    private static AnalyzerTest Create() => new(ImmutableArray.Create<DiagnosticAnalyzer>(
        new CTX401ExtractedContextDiscardedAnalyzer(),
        new CTX404BaggagePropagatorMissingAnalyzer(),
        new CTX405DefaultPropagatorCachedAnalyzer(),
        new CTX406DefaultParentIsNotRootAnalyzer(),
        new CTX407InjectingEmptyContextAnalyzer()));

    [Fact]
    public async Task Explicit_default_parent_after_an_extract_is_CTX402_only()
    {
        var test = Create();
        test.TestCode = Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = {|CTX402:Source.StartActivity("process", ActivityKind.Consumer, parentContext: default)|};
            """);
        await test.RunAsync();
    }

    [Fact]
    public async Task Correct_consumer_and_publisher_produce_nothing()
    {
        var test = Create();
        test.TestCode = Header + """
            using System.Text;
            using ContextAnalyzers.Runtime;

            class Messaging
            {
                static readonly ActivitySource Source = new("Shop");
                static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() });
                static TextMapPropagator Default => Propagators.DefaultTextMapPropagator;

                static IEnumerable<string> Get(IDictionary<string, object> headers, string key)
                    => headers.TryGetValue(key, out var value) && value is byte[] bytes ? new[] { Encoding.UTF8.GetString(bytes) } : Array.Empty<string>();

                // The OpenTelemetry RabbitMQ example, as documented upstream.
                public void Receive(IDictionary<string, object> headers)
                {
                    var parentContext = Propagator.Extract(default, headers, Get);
                    Baggage.Current = parentContext.Baggage;
                    using var activity = Source.StartActivity("orders receive", ActivityKind.Consumer, parentContext.ActivityContext);
                    var tenant = Baggage.GetBaggage("tenant");
                }

                public void Publish(IDictionary<string, object> headers)
                {
                    using var activity = Source.StartActivity("orders publish", ActivityKind.Producer);
                    Propagator.Inject(new PropagationContext(activity?.Context ?? default, Baggage.Current), headers, (h, k, v) => h[k] = Encoding.UTF8.GetBytes(v));
                }

                public void ReceiveWithHelper(List<(string Key, byte[] Value)> headers)
                {
                    using var consumed = ConsumerScope.Start(Source, "orders process", Default, headers);
                    consumed.Activity?.SetTag("messaging.system", "kafka");
                }

                public void PublishWithHelper(List<(string Key, byte[] Value)> headers) => Default.InjectCurrent(headers);

                public void Nightly()
                {
                    using var root = RootActivityScope.Start(Source, "nightly");
                    root.Activity?.SetTag("kind", "batch");
                }

                public static void Configure() => Sdk.SetDefaultTextMapPropagator(new CompositeTextMapPropagator(new TextMapPropagator[] { new TraceContextPropagator(), new BaggagePropagator() }));
            }
            """;
        await test.RunAsync();
    }
}
